using HybridCaching.Testing;
using HybridCaching.Testing.Conformance;

namespace HybridCaching.Tests.Memory;

public sealed class MemoryCacheConformanceTests : CacheAdapterConformanceTests
{
    protected override Task<ICacheAdapter> CreateAdapterAsync()
        => Task.FromResult<ICacheAdapter>(new MemoryCache(100_000, 1 << 29, TimeSpan.FromHours(1)));
}

public sealed class MemoryCacheFuncConformanceTests : CacheFuncConformanceTests
{
    protected override Task<ICacheAdapter> CreateAdapterAsync()
        => Task.FromResult<ICacheAdapter>(new MemoryCache(100_000, 1 << 29, TimeSpan.FromHours(1)));
}

public sealed class MemoryCacheTests
{
    private static async Task<(int Count, long Bytes)> MeasureAsync(MemoryCache cache, int keys)
    {
        var count = 0;
        long bytes = 0;
        for (var i = 0; i < keys; i++)
        {
            var key = "key-" + i;
            if (await cache.GetAsync(key) is { } value)
            {
                count++;
                bytes += value.Length + (2 * key.Length);
            }
        }

        return (count, bytes);
    }

    [Fact]
    public async Task SetAsync_OverfilledTenTimesWithSmallValues_StaysWithinItemBound()
    {
        await using var cache = new MemoryCache(maxItems: 100, maxBytes: 1_000_000, maxTtl: TimeSpan.Zero);
        for (var i = 0; i < 1_000; i++)
        {
            await cache.SetAsync("key-" + i, new byte[10], TimeSpan.FromMinutes(5));
            Assert.InRange(cache.Count, 0, 100);
        }

        var (count, bytes) = await MeasureAsync(cache, 1_000);
        Assert.InRange(count, 1, 100);
        Assert.InRange(bytes, 1, 1_000_000);
    }

    [Fact]
    public async Task SetAsync_OverfilledTenTimesWithLargeValues_StaysWithinByteBound()
    {
        await using var cache = new MemoryCache(maxItems: 10_000, maxBytes: 100_000, maxTtl: TimeSpan.Zero);
        for (var i = 0; i < 1_000; i++)
        {
            await cache.SetAsync("key-" + i, new byte[1_000], TimeSpan.FromMinutes(5));
        }

        var (count, bytes) = await MeasureAsync(cache, 1_000);
        Assert.InRange(count, 1, 100);
        Assert.InRange(bytes, 1, 100_000);
    }

    [Fact]
    public async Task SetAsync_TtlAboveMaxTtl_IsCappedAtMaxTtl()
    {
        var time = new ManualTimeProvider();
        await using var cache = new MemoryCache(100, 1 << 20, TimeSpan.FromMinutes(1), time);
        await cache.SetAsync("a", [1], TimeSpan.FromHours(1));

        var fetched = await cache.FetchAsync("a");
        Assert.Equal(TimeSpan.FromMinutes(1), fetched.TimeToLive);

        time.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal(TimeSpan.FromSeconds(1), (await cache.FetchAsync("a")).TimeToLive);
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.Null(await cache.GetAsync("a"));
        Assert.False((await cache.FetchAsync("a")).Found);
    }

    [Fact]
    public async Task SetAsync_MaximumTtlWithoutCap_IsStoredWithoutOverflow()
    {
        await using var cache = new MemoryCache(100, 1 << 20, TimeSpan.Zero);
        await cache.SetAsync("forever", [1], TimeSpan.MaxValue);
        Assert.Equal([1], await cache.GetAsync("forever"));
        Assert.True((await cache.FetchAsync("forever")).TimeToLive > TimeSpan.FromDays(365 * 1000));
    }

    [Fact]
    public async Task SetAsync_ValueLargerThanMaxBytes_IsNotStoredAndReplacesNothing()
    {
        await using var cache = new MemoryCache(100, 1_000, TimeSpan.Zero);
        await cache.SetAsync("big", [1, 2, 3], TimeSpan.FromMinutes(1));
        await cache.SetAsync("big", new byte[2_000], TimeSpan.FromMinutes(1));
        Assert.Null(await cache.GetAsync("big"));
    }

    [Fact]
    public void Constructor_NonPositiveBounds_ThrowArgumentOutOfRange()
    {
        Assert.Equal("maxItems", Assert.Throws<ArgumentOutOfRangeException>(() => new MemoryCache(0, 1, TimeSpan.Zero)).ParamName);
        Assert.Equal("maxBytes", Assert.Throws<ArgumentOutOfRangeException>(() => new MemoryCache(1, -1, TimeSpan.Zero)).ParamName);
    }

    [Fact]
    public async Task RaceAsync_CallerCancels_OtherWaiterStillGetsResult()
    {
        await using var cache = new MemoryCache(100, 1 << 20, TimeSpan.Zero);
        var gate = new TaskCompletionSource<RaceResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        var workToken = CancellationToken.None;
        Task<RaceResult> Work(CancellationToken token)
        {
            workToken = token;
            return gate.Task;
        }

        using var impatient = new CancellationTokenSource();
        var first = cache.RaceAsync("k", Work, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(1), impatient.Token);
        var second = cache.RaceAsync("k", Work, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(1));
        await impatient.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first);
        Assert.False(workToken.IsCancellationRequested);
        gate.SetResult(new RaceResult([42]));
        Assert.Equal([42], (await second).Value);
    }

    [Fact]
    public async Task RaceAsync_EveryCallerCancels_WorkTokenFires()
    {
        await using var cache = new MemoryCache(100, 1 << 20, TimeSpan.Zero);
        var workCancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        async Task<RaceResult> Work(CancellationToken token)
        {
            token.Register(() => workCancelled.TrySetResult());
            await Task.Delay(Timeout.Infinite, token);
            return default;
        }

        using var a = new CancellationTokenSource();
        using var b = new CancellationTokenSource();
        var first = cache.RaceAsync("k", Work, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(1), a.Token);
        var second = cache.RaceAsync("k", Work, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(1), b.Token);
        await a.CancelAsync();
        Assert.False(workCancelled.Task.IsCompleted);
        await b.CancelAsync();

        await workCancelled.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => second);

        // The abandoned run is not joined: a new caller starts a new run.
        var third = await cache.RaceAsync("k", _ => Task.FromResult(new RaceResult([7])), TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(1));
        Assert.Equal([7], third.Value);
    }

    [Fact]
    public async Task RaceAsync_WorkThrowsItsOwnCancellation_EveryWaiterGetsThatSameException()
    {
        await using var cache = new MemoryCache(100, 1 << 20, TimeSpan.Zero);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var own = new TaskCanceledException("HttpClient.Timeout elapsed", new TimeoutException("inner"));
        async Task<RaceResult> Work(CancellationToken _)
        {
            await gate.Task;
            throw own;
        }

        var runs = Enumerable.Range(0, 5).Select(_ => cache.RaceAsync("k", Work, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(1))).ToList();
        gate.SetResult();
        foreach (var run in runs)
        {
            Assert.Same(own, await Assert.ThrowsAsync<TaskCanceledException>(() => run));
        }
    }

    [Fact]
    public async Task RaceAsync_WaitForPasses_ThrowsTimeoutAndCancelsWork()
    {
        var time = new ManualTimeProvider();
        await using var cache = new MemoryCache(100, 1 << 20, TimeSpan.Zero, time);
        var workToken = CancellationToken.None;
        var race = cache.RaceAsync(
            "k",
            token =>
            {
                workToken = token;
                return new TaskCompletionSource<RaceResult>().Task;
            },
            TimeSpan.FromSeconds(5),
            TimeSpan.FromSeconds(1));

        time.Advance(TimeSpan.FromSeconds(4));
        Assert.False(race.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(1));
        await Assert.ThrowsAsync<TimeoutException>(() => race);
        Assert.True(workToken.IsCancellationRequested);
    }
}
