using HybridCaching.Distributed;
using HybridCaching.MicrosoftHybrid;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.DependencyInjection;
using AbstractHybridCache = Microsoft.Extensions.Caching.Hybrid.HybridCache;

namespace HybridCaching.Hosting.Tests;

/// <summary>One line serves Microsoft's abstractions: code written against IDistributedCache or Microsoft's HybridCache
/// gets this library's level and CacheFunc, and reads what DoAsync wrote.</summary>
public sealed class MicrosoftAbstractionsTests
{
    [Fact]
    public async Task AddDistributedCache_ReplacesAnEarlierOne_AndStoresInTheLevelTheFuncsUse()
    {
        var services = new ServiceCollection();
        services.AddDistributedMemoryCache();
        services.AddHybridCaching().AddMemory().AddCacheFunc().AddDistributedCache();
        services.AddDistributedMemoryCache(); // as AddSession() does, after: TryAdd, so nothing changes
        await using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });

        var distributed = Assert.IsType<CacheAdapterDistributedCache>(provider.GetRequiredService<IDistributedCache>());
        Assert.Single(provider.GetServices<IDistributedCache>());
        await distributed.SetStringAsync("session:1", "hello");

        var level = provider.GetRequiredService<ICacheAdapter>();
        Assert.NotNull(await level.GetAsync("session:1"));
        Assert.Equal("hello", await distributed.GetStringAsync("session:1"));
    }

    [Fact]
    public async Task AddMicrosoftHybridCache_GetOrCreateAsync_SharesEntriesWithTheNamedCacheFunc()
    {
        var services = new ServiceCollection();
        services.AddHybridCaching().AddMemory().AddCacheFunc().AddCacheFunc("products").AddMicrosoftHybridCache("products");
        await using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });

        var hybrid = Assert.IsType<CacheFuncHybridCache>(provider.GetRequiredService<AbstractHybridCache>());
        var products = provider.GetRequiredKeyedService<CacheFunc>("products");
        Assert.Same(products, hybrid.CacheFunc);

        Assert.Equal("from DoAsync", await products.DoAsync("p:1", _ => Task.FromResult("from DoAsync")));
        var factoryRuns = 0;
        var read = await hybrid.GetOrCreateAsync("p:1", _ => { factoryRuns++; return ValueTask.FromResult("from hybrid"); });
        Assert.Equal(("from DoAsync", 0), (read, factoryRuns));
    }

    [Fact]
    public void AddMicrosoftHybridCache_UnknownCacheFunc_FailsWhenResolved()
    {
        var services = new ServiceCollection();
        services.AddHybridCaching().AddMemory().AddCacheFunc().AddMicrosoftHybridCache("missing");
        using var provider = services.BuildServiceProvider();

        Assert.Throws<InvalidOperationException>(() => provider.GetRequiredService<AbstractHybridCache>());
    }
}
