using System.Diagnostics.CodeAnalysis;
using HybridCaching.Testing;
using Microsoft.Extensions.Time.Testing;

namespace HybridCaching.Tests.Func;

// A caller whose read missed just before another caller's run stored the value, and which reaches the single-flight
// only after that run has ended, takes the stored value instead of running the factory a second time. The other caller
// goes through a second CacheFunc on the same memory level: through the same one, it would join the paused read.
public sealed class LateMissTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public async Task DoAsync_MissReadBeforeAnotherRunStoredItsValue_DoesNotRunTheFactoryAgain()
    {
        var cache = new PausingLocalCache(new MemoryCache(1_000, 1 << 20, TimeSpan.Zero, _time));
        var func = new CacheFunc(cache, new CacheFuncOptions { TimeProvider = _time });
        int calls = 0;
        Task<List<int>> Factory(CancellationToken ct) => Task.FromResult(new List<int> { Interlocked.Increment(ref calls) });

        var pause = cache.PauseNextRead();
        var late = func.DoAsync("k", Factory).AsTask(); // reads a miss, then waits
        await pause.Reached.WaitAsync(TimeSpan.FromSeconds(30));

        var first = await new CacheFunc(cache, new CacheFuncOptions { TimeProvider = _time }).DoAsync("k", Factory); // misses, runs the factory, stores, ends its run
        pause.Release();
        var lateValue = await late.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(1, calls);
        Assert.Equal([1], first);
        Assert.Equal([1], lateValue);
    }

    [Fact]
    public async Task DoAsync_StaleEntryStoredMeanwhile_RunsTheFactory()
    {
        var cache = new PausingLocalCache(new MemoryCache(1_000, 1 << 20, TimeSpan.Zero, _time));
        var func = new CacheFunc(cache, new CacheFuncOptions { TimeProvider = _time, FreshFor = TimeSpan.FromSeconds(1) });
        int calls = 0;
        Task<List<int>> Factory(CancellationToken ct) => Task.FromResult(new List<int> { Interlocked.Increment(ref calls) });

        var pause = cache.PauseNextRead();
        var late = func.DoAsync("k", Factory).AsTask();
        await pause.Reached.WaitAsync(TimeSpan.FromSeconds(30));
        await new CacheFunc(cache, new CacheFuncOptions { TimeProvider = _time, FreshFor = TimeSpan.FromSeconds(1) }).DoAsync("k", Factory);
        _time.Advance(TimeSpan.FromSeconds(2)); // what was stored is stale now: not an answer to a miss
        pause.Release();

        Assert.Equal([2], await late.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(2, calls);
    }

    // A memory level whose reads can be paused once they have their bytes, and whose local entries CacheFunc sees.
    private sealed class PausingLocalCache(MemoryCache inner) : DelegatingCacheAdapter(inner), ILocalCacheEntries
    {
        private readonly PausingReadCache _reads = new(inner);

        public PausingReadCache.Pause PauseNextRead() => _reads.PauseNextRead();

        public override ValueTask<byte[]?> GetAsync(string key, CancellationToken cancellationToken = default) => _reads.GetAsync(key, cancellationToken);

        public bool TryGetLocal(string key, [MaybeNullWhen(false)] out LocalCacheEntry entry) => ((ILocalCacheEntries)inner).TryGetLocal(key, out entry);

        public void KeepDecoded(string key, LocalCacheEntry entry, object decoded, long decodedBytes) => ((ILocalCacheEntries)inner).KeepDecoded(key, entry, decoded, decodedBytes);
    }
}
