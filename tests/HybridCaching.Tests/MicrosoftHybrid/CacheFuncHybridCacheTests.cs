using HybridCaching.MicrosoftHybrid;
using HybridCaching.Tests.Func;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.Time.Testing;
using MicrosoftHybridCache = Microsoft.Extensions.Caching.Hybrid.HybridCache;

namespace HybridCaching.Tests.MicrosoftHybrid;

// A representative part of Microsoft's HybridCache contract, run against the CacheFunc-backed implementation.
public sealed class CacheFuncHybridCacheTests : IAsyncDisposable
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);

    private readonly FakeTimeProvider _time = new();
    private readonly MemoryCache _memory;
    private readonly CacheFunc _func;
    private readonly MicrosoftHybridCache _cache;
    private int _factoryCalls;

    public CacheFuncHybridCacheTests()
    {
        _memory = new MemoryCache(10_000, 1 << 24, TimeSpan.Zero, _time);
        _func = new CacheFunc(_memory, new CacheFuncOptions
        {
            WaitFor = TimeSpan.FromSeconds(20),
            FreshFor = TimeSpan.FromMinutes(1),
            Ttl = TimeSpan.FromHours(1),
            TimeProvider = _time,
        });
        _cache = new CacheFuncHybridCache(_func);
    }

    public ValueTask DisposeAsync() => _memory.DisposeAsync();

    private ValueTask<string> Factory(string value)
    {
        Interlocked.Increment(ref _factoryCalls);
        return ValueTask.FromResult(value);
    }

    private ValueTask<string> GetOrCreate(string key, string value, HybridCacheEntryOptions? options = null)
        => _cache.GetOrCreateAsync(key, value, (v, _) => Factory(v), options);

    [Fact]
    public async Task GetOrCreateAsync_HitWithStateAndStaticFactory_AllocatesNothing()
    {
        // Reused values, so that a hit decodes nothing: what is left is the call's own cost.
        var cache = new CacheFuncHybridCache(new CacheFunc(_memory, new CacheFuncOptions { ReuseValues = true, TimeProvider = _time }));
        await cache.GetOrCreateAsync("k", "v", static (v, _) => ValueTask.FromResult(v));
        var flagsOnly = new HybridCacheEntryOptions { Flags = HybridCacheEntryFlags.DisableCompression };

        Assert.Equal(0, await HitAllocation.PerHitAsync(() => cache.GetOrCreateAsync("k", "other", static (v, _) => ValueTask.FromResult(v))));
        Assert.Equal(0, await HitAllocation.PerHitAsync(() => cache.GetOrCreateAsync("k", "other", static (v, _) => ValueTask.FromResult(v), flagsOnly)));
        Assert.Equal("v", await cache.GetOrCreateAsync("k", "other", static (v, _) => ValueTask.FromResult(v)));
    }

    [Fact]
    public async Task GetOrCreateAsync_ConcurrentCallers_RunTheFactoryOnce()
    {
        var release = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var calls = 0;
        var callers = Enumerable.Range(0, 20)
            .Select(_ => _cache.GetOrCreateAsync("k", async _ =>
            {
                Interlocked.Increment(ref calls);
                return await release.Task;
            }).AsTask())
            .ToList();

        release.SetResult("v");
        var values = await Task.WhenAll(callers).WaitAsync(Guard);

        Assert.All(values, v => Assert.Equal("v", v));
        Assert.Equal(1, calls);
    }

    [Fact]
    public async Task GetOrCreateAsync_Hit_DoesNotRunTheFactory()
    {
        Assert.Equal("a", await GetOrCreate("k", "a"));
        Assert.Equal("a", await GetOrCreate("k", "b"));
        Assert.Equal(1, _factoryCalls);
    }

    [Fact]
    public async Task SetAsync_ThenGetOrCreate_ReturnsTheSetValue()
    {
        await _cache.SetAsync("k", "set");

        Assert.Equal("set", await GetOrCreate("k", "factory"));
        Assert.Equal(0, _factoryCalls);
        Assert.Equal("set", await _func.DoAsync("k", _ => Task.FromResult("DoAsync shares the entries")));
    }

    [Fact]
    public async Task RemoveAsync_KeyAndKeys_NextGetOrCreateRunsTheFactory()
    {
        await _cache.SetAsync("a", "1");
        await _cache.SetAsync("b", "2");
        await _cache.SetAsync("c", "3");

        await _cache.RemoveAsync("a");
        await _cache.RemoveAsync(["b", "c"]);

        Assert.Equal("x", await GetOrCreate("a", "x"));
        Assert.Equal("y", await GetOrCreate("b", "y"));
        Assert.Equal("z", await GetOrCreate("c", "z"));
        Assert.Equal(3, _factoryCalls);
    }

    [Fact]
    public async Task GetOrCreateAsync_Expiration_IsTheEntryTtl()
    {
        var options = new HybridCacheEntryOptions { Expiration = TimeSpan.FromMinutes(5) };

        await GetOrCreate("k", "a", options);
        Assert.Equal(TimeSpan.FromMinutes(5), (await _memory.FetchAsync("k")).TimeToLive);
        await _cache.SetAsync("s", "b", options);
        Assert.Equal(TimeSpan.FromMinutes(5), (await _memory.FetchAsync("s")).TimeToLive);

        _time.Advance(TimeSpan.FromMinutes(6));
        Assert.Equal("c", await GetOrCreate("k", "c", options));
        Assert.Equal(2, _factoryCalls);
    }

    [Fact]
    public async Task GetOrCreateAsync_DisableUnderlyingData_NeverRunsTheFactory()
    {
        var options = new HybridCacheEntryOptions { Flags = HybridCacheEntryFlags.DisableUnderlyingData };

        Assert.Null(await GetOrCreate("k", "a", options));
        await _cache.SetAsync("k", "stored");
        Assert.Equal("stored", await GetOrCreate("k", "a", options));
        Assert.Equal(0, _factoryCalls);
    }

    [Fact]
    public async Task GetOrCreateAsync_WritesDisabled_ReturnsTheValueAndStoresNothing()
    {
        var options = new HybridCacheEntryOptions { Flags = HybridCacheEntryFlags.DisableLocalCacheWrite | HybridCacheEntryFlags.DisableDistributedCacheWrite };

        Assert.Equal("a", await GetOrCreate("k", "a", options));
        await _cache.SetAsync("s", "b", options);

        Assert.Null(await _memory.GetAsync("k"));
        Assert.Null(await _memory.GetAsync("s"));
    }

    [Fact]
    public async Task GetOrCreateAsync_ReadsDisabled_RunsTheFactoryAndStoresItsResult()
    {
        await _cache.SetAsync("k", "old");
        var options = new HybridCacheEntryOptions { Flags = HybridCacheEntryFlags.DisableLocalCache | HybridCacheEntryFlags.DisableDistributedCacheRead };

        Assert.Equal("new", await GetOrCreate("k", "new", options));

        Assert.Equal(1, _factoryCalls);
        Assert.Equal("new", await GetOrCreate("k", "unused"));
    }

    [Fact]
    public async Task GetOrCreateAsync_ReadsDisabledOverHybridWithUpstreamDown_ReturnsTheValueAndKeepsItInMemory()
    {
        var upstream = new HybridCaching.Testing.FaultyCacheAdapter();
        await using var hybrid = new HybridCache(upstream, new MemoryCache(10_000, 1 << 24, TimeSpan.Zero, _time));
        var cache = new CacheFuncHybridCache(new CacheFunc(hybrid, new CacheFuncOptions { TimeProvider = _time }));
        var options = new HybridCacheEntryOptions { Flags = HybridCacheEntryFlags.DisableLocalCacheRead | HybridCacheEntryFlags.DisableDistributedCacheRead };

        // Like a GetOrCreateAsync that read the cache, a write the upstream refused is logged, not thrown at the caller.
        Assert.Equal("new", await cache.GetOrCreateAsync("k", "new", (v, _) => Factory(v), options));

        Assert.True(upstream.Calls > 0);
        Assert.Equal("new", await cache.GetOrCreateAsync("k", "unused", (v, _) => Factory(v)));
        Assert.Equal(1, _factoryCalls);
    }

    [Fact]
    public async Task GetOrCreateAsync_ReadsAndWritesDisabled_RunsTheFactoryAndLeavesTheEntry()
    {
        await _cache.SetAsync("k", "old");
        var options = new HybridCacheEntryOptions { Flags = HybridCacheEntryFlags.DisableLocalCache | HybridCacheEntryFlags.DisableDistributedCache };

        Assert.Equal("new", await GetOrCreate("k", "new", options));

        Assert.Equal("old", await GetOrCreate("k", "unused"));
        Assert.Equal(1, _factoryCalls);
    }

    [Fact]
    public async Task GetOrCreateAsync_OneCallerCancels_OthersGetTheValue()
    {
        var release = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var factoryToken = CancellationToken.None;
        using var cts = new CancellationTokenSource();
        var impatient = _cache.GetOrCreateAsync("k", async token =>
        {
            factoryToken = token;
            return await release.Task;
        }, cancellationToken: cts.Token).AsTask();
        var patient = _cache.GetOrCreateAsync("k", _ => ValueTask.FromResult("second factory")).AsTask();

        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => impatient.WaitAsync(Guard));
        release.SetResult("v");

        Assert.Equal("v", await patient.WaitAsync(Guard));
        Assert.False(factoryToken.IsCancellationRequested);
        Assert.Equal("v", await GetOrCreate("k", "unused"));
    }

    [Fact]
    public async Task RemoveByTagAsync_TaggedBySetOrGetOrCreate_NextReadRunsTheFactory()
    {
        await _cache.SetAsync("set", "v1", tags: ["t"]);
        await _cache.GetOrCreateAsync("created", "v1", (v, _) => Factory(v), tags: ["t", "other"]);
        await _cache.SetAsync("untagged", "v1");
        Assert.Equal("v1", await GetOrCreate("set", "unused"));
        Assert.Equal("v1", await GetOrCreate("created", "unused"));

        await _cache.RemoveByTagAsync("t");

        Assert.Equal("v2", await GetOrCreate("set", "v2"));
        Assert.Equal("v2", await GetOrCreate("created", "v2"));
        Assert.Equal("v1", await GetOrCreate("untagged", "unused"));
    }

    [Fact]
    public async Task RemoveByTagAsync_TaggedByGetOrCreateWithReadsDisabled_NextReadRunsTheFactory()
    {
        var options = new HybridCacheEntryOptions { Flags = HybridCacheEntryFlags.DisableLocalCacheRead | HybridCacheEntryFlags.DisableDistributedCacheRead };
        await _cache.GetOrCreateAsync("k", "v1", (v, _) => Factory(v), options, tags: ["t"]);
        Assert.Equal("v1", await GetOrCreate("k", "unused"));

        await _cache.RemoveByTagAsync("t");

        Assert.Equal("v2", await GetOrCreate("k", "v2"));
    }

    [Fact]
    public async Task RemoveByTagAsync_EntryCreatedWithReadsDisabledAndALongerExpiration_StaysEvicted()
    {
        var options = new HybridCacheEntryOptions
        {
            Expiration = TimeSpan.FromHours(3), // the function's ttl is 1 h
            Flags = HybridCacheEntryFlags.DisableLocalCacheRead | HybridCacheEntryFlags.DisableDistributedCacheRead,
        };
        await _cache.GetOrCreateAsync("k", "v1", (v, _) => Factory(v), options, tags: ["t"]);

        await _cache.RemoveByTagAsync("t");
        _time.Advance(TimeSpan.FromHours(2));

        Assert.Equal("v2", await GetOrCreate("k", "v2"));
    }

    [Fact]
    public async Task Methods_BadArguments_ThrowAndKeepStoredValues()
    {
        await _cache.SetAsync("kept", "v");

        await Assert.ThrowsAsync<ArgumentNullException>(async () => await _cache.GetOrCreateAsync<string>(null!, _ => ValueTask.FromResult("x")));
        await Assert.ThrowsAsync<ArgumentException>(async () => await _cache.SetAsync("", "x"));
        await Assert.ThrowsAsync<ArgumentException>(async () => await _cache.RemoveAsync(""));
        await Assert.ThrowsAsync<ArgumentNullException>(async () => await _cache.GetOrCreateAsync("kept", 1, (Func<int, CancellationToken, ValueTask<string>>)null!));

        Assert.Equal("v", await GetOrCreate("kept", "unused"));
    }
}
