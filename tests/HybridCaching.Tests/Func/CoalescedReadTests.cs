using HybridCaching.Testing;
using Microsoft.Extensions.Time.Testing;

namespace HybridCaching.Tests.Func;

// Hot reads coalesce: concurrent calls for a key whose read is pending (a remote cache) share that one read.
public sealed class CoalescedReadTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public async Task DoAsync_ConcurrentHitsWhileReadPending_ShareOneRead()
    {
        var cache = new GatedReadCache(new MemoryCache(1_000, 1 << 20, TimeSpan.Zero, _time));
        var func = new CacheFunc(cache, new CacheFuncOptions { TimeProvider = _time });
        await func.SetAsync("k", "stored");
        var factoryRuns = 0;

        var calls = Enumerable.Range(0, 64)
            .Select(_ => func.DoAsync("k", ct => Task.FromResult($"computed {Interlocked.Increment(ref factoryRuns)}")).AsTask())
            .ToList();
        cache.Open();
        var values = await Task.WhenAll(calls).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(1, cache.Reads);
        Assert.Equal(0, factoryRuns);
        Assert.All(values, value => Assert.Equal("stored", value));
    }

    [Fact]
    public async Task DoAsync_AfterAWriteThroughTheFunction_DoesNotJoinAReadThatBeganBeforeIt()
    {
        var cache = new GatedReadCache(new MemoryCache(1_000, 1 << 20, TimeSpan.Zero, _time));
        var func = new CacheFunc(cache, new CacheFuncOptions { TimeProvider = _time });
        await func.SetAsync("k", "old");

        var before = func.DoAsync("k", ct => Task.FromResult("computed")).AsTask();
        await func.SetAsync("k", "new");
        var after = func.DoAsync("k", ct => Task.FromResult("computed")).AsTask();
        cache.Open();

        Assert.Equal("new", await after.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal("old", await before.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(2, cache.Reads);
    }

    [Fact]
    public async Task DoAsync_SharedReadFails_EveryCallerMissesInsteadOfThrowing()
    {
        var cache = new GatedReadCache(new MemoryCache(1_000, 1 << 20, TimeSpan.Zero, _time)) { Fail = true };
        var func = new CacheFunc(cache, new CacheFuncOptions { TimeProvider = _time });

        var calls = Enumerable.Range(0, 8).Select(_ => func.DoAsync("k", ct => Task.FromResult("computed")).AsTask()).ToList();
        cache.Open();
        var values = await Task.WhenAll(calls).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(1, cache.Reads);
        Assert.All(values, value => Assert.Equal("computed", value));
    }

    [Fact]
    public async Task DoAsync_JoinerCancels_OnlyThatCallerIsCancelled()
    {
        var cache = new GatedReadCache(new MemoryCache(1_000, 1 << 20, TimeSpan.Zero, _time));
        var func = new CacheFunc(cache, new CacheFuncOptions { TimeProvider = _time });
        await func.SetAsync("k", "stored");
        using var cancel = new CancellationTokenSource();

        var leader = func.DoAsync("k", ct => Task.FromResult("computed")).AsTask();
        var joiner = func.DoAsync("k", ct => Task.FromResult("computed"), cancel.Token).AsTask();
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => joiner.WaitAsync(TimeSpan.FromSeconds(30)));
        cache.Open();

        Assert.Equal("stored", await leader.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(1, cache.Reads);
    }

    // Reads take what is stored when they start, then wait at a gate until it opens, like a remote cache's round trip;
    // each call to GetAsync counts as a read.
    private sealed class GatedReadCache(ICacheAdapter inner) : DelegatingCacheAdapter(inner)
    {
        private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _reads;

        public int Reads => Volatile.Read(ref _reads);

        public bool Fail { get; init; }

        public void Open() => _gate.TrySetResult();

        public override async ValueTask<byte[]?> GetAsync(string key, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _reads);
            var stored = await Inner.GetAsync(key, cancellationToken).ConfigureAwait(false);
            await _gate.Task.ConfigureAwait(false);
            return Fail ? throw new InvalidOperationException("read failed") : stored;
        }
    }
}
