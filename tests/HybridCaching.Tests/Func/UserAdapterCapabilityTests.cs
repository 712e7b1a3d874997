using HybridCaching.Testing;
using Microsoft.Extensions.Time.Testing;

namespace HybridCaching.Tests.Func;

// A user's own adapter implementing ILocalCacheEntries (DictionaryCacheAdapter) gets what MemoryCache gets: value reuse
// and tag checks without a storage read, alone and as the downstream of a HybridCache.
public sealed class UserAdapterCapabilityTests
{
    private readonly FakeTimeProvider _time = new();

    public sealed class Product
    {
        public int Id { get; set; }
    }

    private CacheFunc NewFunc(ICacheAdapter cache) => new(cache, new CacheFuncOptions
    {
        WaitFor = TimeSpan.FromSeconds(10),
        FreshFor = TimeSpan.FromMinutes(1),
        Ttl = TimeSpan.FromHours(1),
        TimeProvider = _time,
        ReuseValues = true,
    });

    private static Func<CancellationToken, Task<T>> NotCalled<T>() => _ => throw new InvalidOperationException("the factory must not run");

    [Fact]
    public async Task DoAsync_UserAdapterWithLocalEntries_ReusesTheDecodedValue()
    {
        await using var cache = new DictionaryCacheAdapter(_time);
        var func = NewFunc(cache);
        await func.DoAsync("p", _ => Task.FromResult(new Product { Id = 1 }));

        var first = await func.DoAsync("p", NotCalled<Product>());

        Assert.Same(first, await func.DoAsync("p", NotCalled<Product>()));
        Assert.Equal(0, await HitAllocation.PerHitAsync(() => func.DoAsync("p", NotCalled<Product>())));
    }

    [Fact]
    public async Task DoAsync_OverHybridWithAUserDownstream_ReusesFromIt()
    {
        await using var hybrid = new HybridCache(new DictionaryCacheAdapter(_time), new DictionaryCacheAdapter(_time), timeProvider: _time);
        var func = NewFunc(hybrid);
        await func.DoAsync("p", _ => Task.FromResult(new Product { Id = 1 }));

        Assert.Same(await func.DoAsync("p", NotCalled<Product>()), await func.DoAsync("p", NotCalled<Product>()));
    }

    [Fact]
    public async Task DoAsync_UserAdapterWithLocalEntries_ChecksTagsWithoutReadingIt()
    {
        await using var cache = new DictionaryCacheAdapter(_time);
        var func = NewFunc(cache);
        await func.DoAsync("k", ["t"], (_, _) => Task.FromResult("v1"));
        var reads = cache.Reads;

        Assert.Equal("v1", await func.DoAsync("k", ["t"], (_, _) => Task.FromResult("unexpected")));
        Assert.Equal(reads, cache.Reads); // the entry and the tag's time were looked up locally

        _time.Advance(TimeSpan.FromSeconds(1));
        await func.RemoveByTagAsync("t");
        Assert.Equal("v2", await func.DoAsync("k", ["t"], (_, _) => Task.FromResult("v2")));
    }

    [Fact]
    public async Task DoAsync_OverHybridWithAUserDownstream_ChecksTagsWithoutReadingUpstream()
    {
        await using var upstream = new DictionaryCacheAdapter(_time);
        await using var hybrid = new HybridCache(upstream, new DictionaryCacheAdapter(_time), timeProvider: _time);
        var func = NewFunc(hybrid);
        await func.DoAsync("k", ["t"], (_, _) => Task.FromResult("v1")); // reads the tag's time upstream, copies it down
        var reads = upstream.Reads;

        Assert.Equal("v1", await func.DoAsync("k", ["t"], (_, _) => Task.FromResult("unexpected")));
        Assert.Equal("v1", await func.DoAsync("k", ["t"], (_, _) => Task.FromResult("unexpected")));

        Assert.Equal(reads, upstream.Reads); // the hits found the entry and the tag's time (none: a marker) downstream
    }
}
