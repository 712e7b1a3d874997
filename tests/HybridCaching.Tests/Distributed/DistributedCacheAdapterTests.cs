using System.Text;
using HybridCaching.Distributed;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace HybridCaching.Tests.Distributed;

public sealed class DistributedCacheAdapterTests : IAsyncDisposable
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);

    private readonly RecordingDistributedCache _store = new();
    private readonly DistributedCacheAdapter _adapter;

    public DistributedCacheAdapterTests() => _adapter = new DistributedCacheAdapter(_store);

    public ValueTask DisposeAsync() => _adapter.DisposeAsync();

    private static byte[] Bytes(string s) => Encoding.UTF8.GetBytes(s);

    private static string? Text(byte[]? b) => b is null ? null : Encoding.UTF8.GetString(b);

    // Microsoft's in-memory IDistributedCache, recording the options each write passes.
    private sealed class RecordingDistributedCache : IDistributedCache
    {
        private readonly MemoryDistributedCache _inner = new(Options.Create(new MemoryDistributedCacheOptions()));

        public List<(string Key, DistributedCacheEntryOptions Options)> Writes { get; } = [];

        public byte[]? Get(string key)
        {
            SyncCalls.Add("Get");
            return _inner.Get(key);
        }

        public Task<byte[]?> GetAsync(string key, CancellationToken token = default) => _inner.GetAsync(key, token);

        public List<string> SyncCalls { get; } = [];

        public void Set(string key, byte[] value, DistributedCacheEntryOptions options)
        {
            SyncCalls.Add("Set");
            Writes.Add((key, options));
            _inner.Set(key, value, options);
        }

        public Task SetAsync(string key, byte[] value, DistributedCacheEntryOptions options, CancellationToken token = default)
        {
            Writes.Add((key, options));
            return _inner.SetAsync(key, value, options, token);
        }

        public void Refresh(string key) => throw new InvalidOperationException("sync");

        public Task RefreshAsync(string key, CancellationToken token = default) => _inner.RefreshAsync(key, token);

        public void Remove(string key)
        {
            SyncCalls.Add("Remove");
            _inner.Remove(key);
        }

        public Task RemoveAsync(string key, CancellationToken token = default) => _inner.RemoveAsync(key, token);
    }

    [Fact]
    public async Task SetAsync_ThenGetAndFetch_ReturnTheValueWithUnknownTtl()
    {
        Assert.Null(await _adapter.GetAsync("k"));
        Assert.False((await _adapter.FetchAsync("k")).Found);

        await _adapter.SetAsync("k", Bytes("v"), TimeSpan.FromMinutes(3));

        Assert.Equal("v", Text(await _adapter.GetAsync("k")));
        var fetched = await _adapter.FetchAsync("k");
        Assert.Equal("v", Text(fetched.Value));
        Assert.Equal(Timeout.InfiniteTimeSpan, fetched.TimeToLive);
        var write = Assert.Single(_store.Writes);
        Assert.Equal(TimeSpan.FromMinutes(3), write.Options.AbsoluteExpirationRelativeToNow);
        Assert.Null(write.Options.SlidingExpiration);
    }

    [Fact]
    public void SyncMembers_UseTheWrappedCachesOwnSyncMembers()
    {
        Assert.True(_adapter.CanRunSynchronously);
        Assert.Null(_adapter.Get("k"));

        _adapter.Set("k", Bytes("v"), TimeSpan.FromMinutes(3));
        Assert.Equal("v", Text(_adapter.Get("k")));
        Assert.Equal(Timeout.InfiniteTimeSpan, _adapter.Fetch("k").TimeToLive);
        Assert.False(_adapter.RenewIfUnchanged("k", Bytes("v"), TimeSpan.FromMinutes(5)));
        _adapter.Delete(["k"]);

        Assert.Null(_adapter.Get("k"));
        Assert.Equal(["Get", "Set", "Get", "Get", "Remove", "Get"], _store.SyncCalls);
        Assert.Equal(TimeSpan.FromMinutes(3), Assert.Single(_store.Writes).Options.AbsoluteExpirationRelativeToNow);
    }

    [Fact]
    public async Task SetAsync_TtlMaxValue_IsWrittenWithoutExpiration()
    {
        await _adapter.SetAsync("k", Bytes("v"), TimeSpan.MaxValue);

        var options = Assert.Single(_store.Writes).Options;
        Assert.Null(options.AbsoluteExpirationRelativeToNow);
        Assert.Null(options.AbsoluteExpiration);
        Assert.Equal("v", Text(await _adapter.GetAsync("k")));
    }

    [Fact]
    public async Task DeleteAsync_Keys_AreGone()
    {
        await _adapter.SetAsync("a", Bytes("1"), TimeSpan.FromMinutes(1));
        await _adapter.SetAsync("b", Bytes("2"), TimeSpan.FromMinutes(1));
        await _adapter.SetAsync("c", Bytes("3"), TimeSpan.FromMinutes(1));

        await _adapter.DeleteAsync(["a", "b", "never-set"]);

        Assert.Null(await _adapter.GetAsync("a"));
        Assert.Null(await _adapter.GetAsync("b"));
        Assert.Equal("3", Text(await _adapter.GetAsync("c")));
    }

    [Fact]
    public async Task ClearAsync_Always_ThrowsNotSupportedAndKeepsEntries()
    {
        await _adapter.SetAsync("a", Bytes("1"), TimeSpan.FromMinutes(1));

        await Assert.ThrowsAsync<NotSupportedException>(async () => await _adapter.ClearAsync());

        Assert.Equal("1", Text(await _adapter.GetAsync("a")));
    }

    [Fact]
    public async Task CacheFunc_OverTheAdapter_CachesAndRunsTheFactoryOncePerKey()
    {
        var func = new CacheFunc(_adapter, TimeSpan.FromSeconds(20), TimeSpan.FromMinutes(1), TimeSpan.FromHours(1));
        var release = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var runs = 0;
        var callers = Enumerable.Range(0, 10)
            .Select(_ => func.DoAsync("k", async _ =>
            {
                Interlocked.Increment(ref runs);
                return await release.Task;
            }).AsTask())
            .ToList();

        release.SetResult("v");
        Assert.All(await Task.WhenAll(callers).WaitAsync(Guard), v => Assert.Equal("v", v));

        // The factory result is written in the background: wait until the store has it.
        for (var i = 0; i < 1_000 && (await _adapter.GetAsync("k")) is null; i++)
        {
            await Task.Delay(10);
        }

        Assert.Equal("v", await func.DoAsync("k", _ => Task.FromResult("not called")));
        Assert.Equal(1, runs);
        Assert.Equal(TimeSpan.FromHours(1), _store.Writes.Single().Options.AbsoluteExpirationRelativeToNow);
    }

    [Fact]
    public async Task HybridCache_WithTheAdapterUpstream_CopiesValuesDownForTheMemoryMaxTtl()
    {
        await using var memory = new MemoryCache(1_000, 1 << 20, TimeSpan.FromMinutes(5));
        await using var hybrid = new HybridCache(_adapter, memory);
        await _adapter.SetAsync("k", Bytes("v"), TimeSpan.FromHours(1));

        Assert.Equal("v", Text(await hybrid.GetAsync("k")));

        var copy = await memory.FetchAsync("k");
        Assert.Equal("v", Text(copy.Value));
        Assert.InRange(copy.TimeToLive, TimeSpan.FromMinutes(4), TimeSpan.FromMinutes(5));
    }

    [Fact]
    public async Task Methods_BadArgumentsOrDisposed_Throw()
    {
        await _adapter.SetAsync("kept", Bytes("v"), TimeSpan.FromMinutes(1));

        await Assert.ThrowsAsync<ArgumentException>(async () => await _adapter.GetAsync(""));
        await Assert.ThrowsAsync<ArgumentNullException>(async () => await _adapter.SetAsync("kept", null!, TimeSpan.FromMinutes(1)));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await _adapter.SetAsync("kept", Bytes("x"), TimeSpan.Zero));
        await Assert.ThrowsAsync<ArgumentException>(async () => await _adapter.DeleteAsync(["kept", ""]));
        Assert.Throws<ArgumentNullException>(() => new DistributedCacheAdapter(null!));
        Assert.Equal("v", Text(await _adapter.GetAsync("kept")));

        await _adapter.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await _adapter.GetAsync("kept"));
    }
}
