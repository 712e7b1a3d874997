using System.Text;
using HybridCaching.Distributed;
using HybridCaching.Testing;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Time.Testing;

namespace HybridCaching.Tests.Distributed;

/// <summary>The synchronous path (ICacheSyncStorage) of the in-process adapters and of HybridCache, and the
/// IDistributedCache bridge's synchronous members on it.</summary>
public sealed class SyncPathTests : IAsyncDisposable
{
    private readonly FakeTimeProvider _time = new();
    private readonly MemoryCache _memory;
    private readonly MemoryCache _upstream;
    private readonly HybridCache _hybrid;

    public SyncPathTests()
    {
        _memory = new MemoryCache(10_000, 1 << 24, TimeSpan.Zero, _time);
        _upstream = new MemoryCache(10_000, 1 << 24, TimeSpan.Zero, _time);
        _hybrid = new HybridCache(_upstream, _memory, timeProvider: _time);
    }

    public async ValueTask DisposeAsync() => await _hybrid.DisposeAsync();

    private static byte[] Bytes(string s) => Encoding.UTF8.GetBytes(s);

    private static string? Text(byte[]? b) => b is null ? null : Encoding.UTF8.GetString(b);

    [Fact]
    public async Task MemoryCache_SyncMembers_SeeWhatTheAsyncOnesWroteAndTheOtherWayRound()
    {
        await _memory.SetAsync("a", Bytes("1"), TimeSpan.FromMinutes(1));
        _memory.Set("b", Bytes("2"), TimeSpan.FromMinutes(2));

        Assert.Equal("1", Text(_memory.Get("a")));
        Assert.Equal("2", Text(await _memory.GetAsync("b")));
        Assert.Equal(TimeSpan.FromMinutes(2), _memory.Fetch("b").TimeToLive);
        Assert.True(_memory.RenewIfUnchanged("b", Bytes("2"), TimeSpan.FromMinutes(5)));
        Assert.False(_memory.RenewIfUnchanged("b", Bytes("other"), TimeSpan.FromMinutes(9)));
        Assert.Equal(TimeSpan.FromMinutes(5), (await _memory.FetchAsync("b")).TimeToLive);
        _memory.Delete(["a", "b"]);
        Assert.Null(await _memory.GetAsync("a"));
        Assert.False(_memory.Fetch("b").Found);
    }

    [Fact]
    public async Task HybridCache_SyncGet_ReadsUpstreamOnADownstreamMissAndCopiesItDown()
    {
        await _upstream.SetAsync("k", Bytes("v"), TimeSpan.FromMinutes(3));

        Assert.True(_hybrid.CanRunSynchronously);
        Assert.Equal("v", Text(_hybrid.Get("k")));
        Assert.Equal(TimeSpan.FromMinutes(3), (await _memory.FetchAsync("k")).TimeToLive);
    }

    [Fact]
    public async Task HybridCache_SyncSetAndDelete_ActOnBothLevels()
    {
        _hybrid.Set("k", Bytes("v"), TimeSpan.FromMinutes(1));
        Assert.Equal("v", Text(await _upstream.GetAsync("k")));
        Assert.Equal("v", Text(await _memory.GetAsync("k")));

        _hybrid.Delete(["k"]);
        Assert.Null(await _upstream.GetAsync("k"));
        Assert.Null(await _memory.GetAsync("k"));
    }

    [Fact]
    public async Task HybridCache_SyncSet_UpstreamFails_DropsTheDownstreamCopyAndThrows()
    {
        var downstream = new MemoryCache(100, 1 << 20, TimeSpan.Zero, _time);
        await using var hybrid = new HybridCache(new ThrowingSyncUpstream(), downstream);
        downstream.Set("k", Bytes("old"), TimeSpan.FromMinutes(1));

        Assert.Throws<TimeoutException>(() => hybrid.Set("k", Bytes("new"), TimeSpan.FromMinutes(1)));

        Assert.Null(downstream.Get("k"));
        Assert.Null(hybrid.Get("k")); // a read served around the failing upstream: a miss
    }

    [Fact]
    public async Task HybridCache_OverALevelWithoutASyncPath_CannotRunSynchronously()
    {
        await using var hybrid = new HybridCache(new DictionaryCacheAdapter(_time), new MemoryCache(100, 1 << 20, TimeSpan.Zero, _time));
        IDistributedCache cache = new CacheAdapterDistributedCache(hybrid);

        Assert.False(hybrid.CanRunSynchronously);
        Assert.Throws<NotSupportedException>(() => hybrid.Get("k"));
        var ex = Assert.Throws<NotSupportedException>(() => cache.Get("k"));
        Assert.Contains(nameof(HybridCache), ex.Message, StringComparison.Ordinal);
        Assert.Contains("GetAsync", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bridge_SyncMembers_OverHybrid_StoreReadRefreshAndRemove()
    {
        IDistributedCache cache = new CacheAdapterDistributedCache(_hybrid, timeProvider: _time);

        cache.SetString("s", "text");
        Assert.Equal("text", cache.GetString("s"));
        Assert.Equal("text", await cache.GetStringAsync("s"));

        cache.Set("k", Bytes("v"), new DistributedCacheEntryOptions { SlidingExpiration = TimeSpan.FromMinutes(10) });
        for (var i = 0; i < 3; i++)
        {
            _time.Advance(TimeSpan.FromMinutes(8));
            if (i % 2 == 0)
            {
                Assert.Equal("v", Text(cache.Get("k"))); // each read slides the window
            }
            else
            {
                cache.Refresh("k");
            }
        }

        Assert.Equal(TimeSpan.FromMinutes(10), (await _upstream.FetchAsync("k")).TimeToLive);
        _time.Advance(TimeSpan.FromMinutes(11));
        Assert.Null(cache.Get("k"));

        cache.Remove("s");
        Assert.Null(await _upstream.GetAsync("s"));
        Assert.Null(cache.GetString("s"));
    }

    // An upstream whose synchronous path times out, as a hung Redis would.
    private sealed class ThrowingSyncUpstream : ICacheAdapter, ICacheSyncStorage
    {
        public bool CanRunSynchronously => true;

        public byte[]? Get(string key) => throw new TimeoutException();

        public CacheFetchResult Fetch(string key) => throw new TimeoutException();

        public void Set(string key, byte[] value, TimeSpan ttl) => throw new TimeoutException();

        public void Delete(IEnumerable<string> keys) => throw new TimeoutException();

        public bool RenewIfUnchanged(string key, byte[] expected, TimeSpan ttl) => throw new TimeoutException();

        public ValueTask<byte[]?> GetAsync(string key, CancellationToken cancellationToken = default) => throw new TimeoutException();

        public ValueTask<CacheFetchResult> FetchAsync(string key, CancellationToken cancellationToken = default) => throw new TimeoutException();

        public ValueTask SetAsync(string key, byte[] value, TimeSpan ttl, CancellationToken cancellationToken = default) => throw new TimeoutException();

        public ValueTask DeleteAsync(IEnumerable<string> keys, CancellationToken cancellationToken = default) => throw new TimeoutException();

        public ValueTask ClearAsync(CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;

        public void Dispose()
        {
        }
    }
}
