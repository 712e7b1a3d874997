using System.Reflection;
using System.Xml.Linq;
using HybridCaching.Redis;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace HybridCaching.Hosting.Tests;

// HybridCaching.Hosting brings no Redis (issue 21): the Redis and hybrid levels register from HybridCaching.Redis through
// the builder's public surface, and the level the CacheFuncs run over is still hybrid, else Redis, else memory.
public sealed class PackageBoundaryTests
{
    private const string UnreachableRedis = "127.0.0.1:1,abortConnect=false";

    [Fact]
    public async Task HostingAssembly_ReferencesNoRedis_AndAMemoryOnlyRegistrationServes()
    {
        var closure = ReferenceClosure(typeof(HybridCachingBuilder).Assembly);
        Assert.Contains("HybridCaching", closure);
        Assert.DoesNotContain("StackExchange.Redis", closure);
        Assert.DoesNotContain("HybridCaching.Redis", closure);

        var services = new ServiceCollection();
        services.AddHybridCaching().AddMemory().AddCacheFunc();
        await using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
        provider.GetRequiredService<IStartupValidator>().Validate();

        Assert.IsType<MemoryCache>(provider.GetRequiredService<ICacheAdapter>());
        var func = provider.GetRequiredService<CacheFunc>();
        Assert.Equal("v", await func.DoAsync("k", _ => Task.FromResult("v")));
        Assert.Equal("v", await func.DoAsync("k", _ => Task.FromResult("other")));
    }

    [Fact]
    public void HostingProject_NeitherItNorWhatItReferencesAsksForRedis()
    {
        var references = ProjectReferenceClosure(Path.Combine(RepositoryRoot(), "src", "HybridCaching.Hosting", "HybridCaching.Hosting.csproj"));
        Assert.Contains("Microsoft.Extensions.Options.ConfigurationExtensions", references);
        Assert.Contains("HybridCaching.csproj", references);
        Assert.DoesNotContain(references, r => r.Contains("Redis", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task Adapter_WhateverTheOrder_IsHybridElseRedisElseMemory()
    {
        Assert.IsType<RedisCache>(await AdapterAsync(b => b.AddMemory().AddRedis(o => o.Configuration = UnreachableRedis)));
        Assert.IsType<RedisCache>(await AdapterAsync(b => b.AddRedis(o => o.Configuration = UnreachableRedis).AddMemory()));
        Assert.IsType<HybridCache>(await AdapterAsync(b => b.AddRedis(o => o.Configuration = UnreachableRedis).AddHybrid()));
        Assert.IsType<HybridCache>(await AdapterAsync(b => b.AddHybrid().AddMemory().AddRedis().AddMemory(), UnreachableRedis));
        Assert.IsType<MemoryCache>(await AdapterAsync(b => b.AddMemory().AddMemory()));
    }

    [Fact]
    public async Task AddLevel_AnotherPackagesLevel_BindsItsSectionNamesItsSettingsAndRunsTheFuncs()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["HybridCaching:Custom:MaxItems"] = "0",
                ["HybridCaching:Redis:Configuration"] = UnreachableRedis,
            })
            .Build()
            .GetSection("HybridCaching");
        var services = new ServiceCollection();
        var builder = services.AddHybridCaching(configuration);
        builder.BindOptions<MemoryLevelOptions>("Custom", static (section, o) => section.Bind(o), optionsName: "custom")
            .Validate(o => o.MaxItems > 0, builder.SettingPath("Custom:MaxItems") + " must be positive.");
        var custom = new MemoryCache(10, 1 << 20, TimeSpan.FromHours(1));
        builder.AddLevel(HybridCachingBuilder.HybridPrecedence + 1, _ => new CustomLevel(custom)).AddHybrid().AddCacheFunc();
        await using var provider = services.BuildServiceProvider();

        var error = Assert.ThrowsAny<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());
        Assert.Equal(["HybridCaching:Custom:MaxItems must be positive."], error.Failures);
        Assert.IsType<CustomLevel>(provider.GetRequiredService<ICacheAdapter>());
        Assert.Equal("v", await provider.GetRequiredService<CacheFunc>().DoAsync("k", _ => Task.FromResult("v")));
        Assert.Equal(1, custom.Count);
    }

    private static async Task<ICacheAdapter> AdapterAsync(Action<HybridCachingBuilder> add, string? redis = null)
    {
        var settings = new Dictionary<string, string?> { ["HybridCaching:Redis:Configuration"] = redis };
        var services = new ServiceCollection();
        add(services.AddHybridCaching(new ConfigurationBuilder().AddInMemoryCollection(settings).Build().GetSection("HybridCaching")));
        await using var provider = services.BuildServiceProvider();
        provider.GetRequiredService<IStartupValidator>().Validate();
        Assert.Single(provider.GetServices<ICacheAdapter>());
        return provider.GetRequiredService<ICacheAdapter>();
    }

    // The names of the assemblies an assembly references, directly or through the ones it references.
    private static HashSet<string> ReferenceClosure(Assembly root)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<AssemblyName>(root.GetReferencedAssemblies());
        while (pending.TryPop(out var name))
        {
            if (name.Name is { } simple && seen.Add(simple) && !simple.StartsWith("System", StringComparison.Ordinal))
            {
                foreach (var reference in Assembly.Load(name).GetReferencedAssemblies())
                {
                    pending.Push(reference);
                }
            }
        }

        return seen;
    }

    // The PackageReference and ProjectReference items of a project and of the projects it references (project file names).
    private static HashSet<string> ProjectReferenceClosure(string project)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>([project]);
        while (pending.TryPop(out var path))
        {
            foreach (var item in XDocument.Load(path).Descendants().Where(e => e.Name.LocalName is "PackageReference" or "ProjectReference"))
            {
                var include = (string?)item.Attribute("Include") ?? "";
                if (item.Name.LocalName == "PackageReference")
                {
                    seen.Add(include);
                }
                else if (seen.Add(Path.GetFileName(include)))
                {
                    pending.Push(Path.GetFullPath(Path.Combine(Path.GetDirectoryName(path)!, include)));
                }
            }
        }

        return seen;
    }

    private static string RepositoryRoot()
    {
        var folder = new DirectoryInfo(AppContext.BaseDirectory);
        while (folder is not null && !File.Exists(Path.Combine(folder.FullName, "HybridCache.sln")))
        {
            folder = folder.Parent;
        }

        return folder?.FullName ?? throw new InvalidOperationException("HybridCache.sln not found above " + AppContext.BaseDirectory);
    }

    // A level from another package: delegates to a memory cache.
    private sealed class CustomLevel(MemoryCache inner) : ICacheAdapter
    {
        public ValueTask<byte[]?> GetAsync(string key, CancellationToken cancellationToken = default) => inner.GetAsync(key, cancellationToken);

        public ValueTask<CacheFetchResult> FetchAsync(string key, CancellationToken cancellationToken = default)
            => inner.FetchAsync(key, cancellationToken);

        public ValueTask SetAsync(string key, byte[] value, TimeSpan ttl, CancellationToken cancellationToken = default)
            => inner.SetAsync(key, value, ttl, cancellationToken);

        public ValueTask DeleteAsync(IEnumerable<string> keys, CancellationToken cancellationToken = default)
            => inner.DeleteAsync(keys, cancellationToken);

        public ValueTask ClearAsync(CancellationToken cancellationToken = default) => inner.ClearAsync(cancellationToken);

        public ValueTask DisposeAsync() => inner.DisposeAsync();

        public void Dispose() => inner.Dispose();
    }
}
