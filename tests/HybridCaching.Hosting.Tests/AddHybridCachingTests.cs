using System.Text;
using HybridCaching.Redis;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace HybridCaching.Hosting.Tests;

public sealed class AddHybridCachingTests
{
    private const string Settings = """
        {
          "HybridCaching": {
            "Memory": { "MaxItems": 123, "MaxBytes": 4096, "MaxTtl": "00:10:00" },
            "Redis": { "Configuration": "127.0.0.1:1,abortConnect=false", "Prefix": "app:" },
            "CacheFuncs": {
              "default": { "WaitFor": "00:00:05", "FreshFor": "00:00:30", "Ttl": "02:00:00" },
              "products": { "FreshFor": "00:00:07" }
            }
          }
        }
        """;

    private static IConfiguration Configuration(string json)
        => new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json))).Build();

    [Fact]
    public async Task AddHybridCaching_MemoryFromConfiguration_DefaultAndKeyedFuncsCacheOnce()
    {
        var services = new ServiceCollection();
        services.AddHybridCaching(Configuration(Settings).GetSection("HybridCaching")).AddMemory().AddCacheFunc().AddCacheFunc("products");
        await using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });

        var memoryOptions = provider.GetRequiredService<IOptions<MemoryLevelOptions>>().Value;
        Assert.Equal((123L, 4096L, TimeSpan.FromMinutes(10)), (memoryOptions.MaxItems, memoryOptions.MaxBytes, memoryOptions.MaxTtl));
        var monitor = provider.GetRequiredService<IOptionsMonitor<CacheFuncOptions>>();
        Assert.Equal(TimeSpan.FromSeconds(30), monitor.Get("default").FreshFor);
        Assert.Equal(TimeSpan.FromHours(2), monitor.Get("default").Ttl);
        Assert.Equal(TimeSpan.FromSeconds(7), monitor.Get("products").FreshFor);

        var func = provider.GetRequiredService<CacheFunc>();
        var products = provider.GetRequiredKeyedService<CacheFunc>("products");
        Assert.Same(func, provider.GetRequiredKeyedService<CacheFunc>("default"));
        Assert.NotSame(func, products);
        Assert.Equal(("default", "products"), (func.Name, products.Name));
        Assert.IsType<MemoryCache>(provider.GetRequiredService<ICacheAdapter>());

        var calls = 0;
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal("v1", await products.DoAsync("k", _ => Task.FromResult($"v{Interlocked.Increment(ref calls)}")));
        }

        Assert.Equal(1, calls);
    }

    [Fact]
    public async Task AddHybrid_FromConfiguration_HybridOverRedisAndMemoryWithPrefix()
    {
        var services = new ServiceCollection();
        services.AddHybridCaching(Configuration(Settings).GetSection("HybridCaching")).AddHybrid().AddCacheFunc();
        await using var provider = services.BuildServiceProvider();

        Assert.IsType<HybridCache>(provider.GetRequiredService<ICacheAdapter>());
        Assert.Equal("app:", provider.GetRequiredService<IOptions<RedisCacheOptions>>().Value.Prefix);

        // Redis is unreachable: the hybrid level keeps serving from memory.
        var func = provider.GetRequiredService<CacheFunc>();
        Assert.Equal("v", await func.DoAsync("k", _ => Task.FromResult("v")));
        Assert.Equal("v", await func.DoAsync("k", _ => Task.FromResult("other")));
    }

    [Theory]
    [InlineData("""{ "HybridCaching": { "CacheFuncs": { "products": { "WaitFor": "00:00:00" } } } }""", "HybridCaching:CacheFuncs:products:WaitFor")]
    [InlineData("""{ "HybridCaching": { "CacheFuncs": { "products": { "FreshFor": "-00:00:01" } } } }""", "HybridCaching:CacheFuncs:products:FreshFor")]
    [InlineData("""{ "HybridCaching": { "CacheFuncs": { "products": { "Ttl": "00:00:00" } } } }""", "HybridCaching:CacheFuncs:products:Ttl")]
    [InlineData("""{ "HybridCaching": { "Memory": { "MaxItems": 0 } } }""", "HybridCaching:Memory:MaxItems")]
    [InlineData("""{ "HybridCaching": { "Memory": { "MaxTtl": "-01:00:00" } } }""", "HybridCaching:Memory:MaxTtl")]
    [InlineData("""{ "HybridCaching": { "Redis": { "Prefix": "p" } } }""", "HybridCaching:Redis:Configuration")]
    public async Task ValidateOnStart_BadSetting_MessageNamesTheSetting(string json, string setting)
    {
        var services = new ServiceCollection();
        var builder = services.AddHybridCaching(Configuration(json).GetSection("HybridCaching")).AddMemory().AddCacheFunc("products");
        if (setting.Contains(":Redis:", StringComparison.Ordinal))
        {
            builder.AddRedis();
        }

        await using var provider = services.BuildServiceProvider();
        var error = Assert.ThrowsAny<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains(setting, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ValidateOnStart_NonPositiveDurations_EachNamedWithTheSameMessageAsTheOptions()
    {
        const string Json = """{ "HybridCaching": { "CacheFuncs": { "products": { "WaitFor": "00:00:00", "FreshFor": "-00:00:01", "Ttl": "-01:00:00" } } } }""";
        var services = new ServiceCollection();
        services.AddHybridCaching(Configuration(Json).GetSection("HybridCaching")).AddMemory().AddCacheFunc("products");
        await using var provider = services.BuildServiceProvider();

        var error = Assert.ThrowsAny<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());

        Assert.Equal(
            [
                "HybridCaching:CacheFuncs:products:WaitFor must be a positive TimeSpan (e.g. \"00:01:00\"); it is \"00:00:00\".",
                "HybridCaching:CacheFuncs:products:FreshFor must be a positive TimeSpan (e.g. \"00:01:00\"); it is \"-00:00:01\".",
                "HybridCaching:CacheFuncs:products:Ttl must be a positive TimeSpan (e.g. \"00:01:00\"); it is \"-01:00:00\".",
            ],
            error.Failures);
    }

    [Fact]
    public async Task ValidateOnStart_GoodSettings_Passes()
    {
        var services = new ServiceCollection();
        services.AddHybridCaching(Configuration(Settings).GetSection("HybridCaching")).AddHybrid().AddCacheFunc().AddCacheFunc("products");
        await using var provider = services.BuildServiceProvider();
        provider.GetRequiredService<IStartupValidator>().Validate();
        Assert.NotNull(provider.GetRequiredKeyedService<CacheFunc>("products"));
    }

    [Fact]
    public async Task AddCacheFunc_TimeProviderInContainer_IsUsedForFreshness()
    {
        var clock = new FakeTimeProvider();
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(clock);
        services.AddHybridCaching().AddMemory().AddCacheFunc(configure: o => o.FreshFor = TimeSpan.FromMinutes(1));
        await using var provider = services.BuildServiceProvider();
        var func = provider.GetRequiredService<CacheFunc>();
        var calls = 0;
        var refreshed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        Task<int> Factory(CancellationToken _)
        {
            if (Interlocked.Increment(ref calls) == 2)
            {
                refreshed.TrySetResult();
            }

            return Task.FromResult(calls);
        }

        Assert.Equal(1, await func.DoAsync("k", Factory));
        Assert.Equal(1, await func.DoAsync("k", Factory));
        clock.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(1, await func.DoAsync("k", Factory)); // stale: served, refreshed in the background
        await refreshed.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(2, calls);
    }

    [Fact]
    public async Task AddHybridCaching_NoLevel_ResolvingAdapterNamesTheFix()
    {
        var services = new ServiceCollection();
        services.AddHybridCaching().AddCacheFunc();
        await using var provider = services.BuildServiceProvider();
        var error = Assert.Throws<InvalidOperationException>(() => provider.GetRequiredService<CacheFunc>());
        Assert.Contains("AddMemory()", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddRedisHealthCheck_WithoutRedisLevel_FailsAtStartNamingTheFix()
    {
        var services = new ServiceCollection();
        services.AddHybridCaching().AddMemory().AddRedisHealthCheck();
        await using var provider = services.BuildServiceProvider();

        var error = Assert.ThrowsAny<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains("hybridcaching-redis", error.Message, StringComparison.Ordinal);
        Assert.Contains("AddRedis() or AddHybrid()", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddRedisHealthCheck_RedisLevelAddedAfterIt_Passes()
    {
        var services = new ServiceCollection();
        services.AddHybridCaching().AddMemory().AddRedisHealthCheck().AddRedis(o => o.Configuration = "127.0.0.1:1,abortConnect=false");
        await using var provider = services.BuildServiceProvider();

        provider.GetRequiredService<IStartupValidator>().Validate();
    }
}
