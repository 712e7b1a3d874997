using HybridCaching.Testing;
using HybridCaching.Testing.Redis;

namespace HybridCaching.Redis.Tests;

/// <summary>Issue 23: no per-waiter polling while pub/sub works. A subscribed waiter polls every <c>RetryDelay</c> until
/// a race ends with the leader's notification; from then on it relies on notifications (polling once a second only, as a
/// fallback) until a result is found by a poll, as with a leader that does not publish (the Go original's).</summary>
[Collection(RedisCollection.Name)]
[Trait("Category", "Redis")]
public sealed class WaiterPollingTests(RedisServerFixture server)
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task DoAsync_LeadersPublish_WaiterStopsCallingRetryDelayUntilALeaderDoesNot()
    {
        var scope = Guid.NewGuid().ToString("N")[..12];
        var retryDelays = 0;
        var waiterOptions = RedisTestCache.CacheOptions(scope);

        // An hour between polls: while RetryDelay is in use, only a notification can end the wait.
        waiterOptions.RetryDelay = _ =>
        {
            Interlocked.Increment(ref retryDelays);
            return TimeSpan.FromHours(1);
        };
        var silentOptions = RedisTestCache.CacheOptions(scope);
        silentOptions.NotifyWaiters = false;
        await using var waiterCache = await RedisTestCache.CreateAsync(server, waiterOptions);
        await using var publishing = await RedisTestCache.CreateAsync(server, RedisTestCache.CacheOptions(scope));
        await using var silent = await RedisTestCache.CreateAsync(server, silentOptions);
        var waiter = Func(waiterCache);

        // First race: nothing learned yet, the waiter polls on RetryDelay; the leader's notification ends its wait.
        Assert.Equal("k1", await RaceAsync(Func(publishing), waiter, "k1", waiterOptions));
        Assert.True(Volatile.Read(ref retryDelays) >= 1);

        // Leaders publish: the next wait does not use RetryDelay at all.
        Interlocked.Exchange(ref retryDelays, 0);
        Assert.Equal("k2", await RaceAsync(Func(publishing), waiter, "k2", waiterOptions));
        Assert.Equal(0, Volatile.Read(ref retryDelays));

        // A leader that does not publish: its result is found by the once-a-second fallback poll, after which polling
        // on RetryDelay is back (an hour here, so the fourth race again ends by the leader's notification).
        Assert.Equal("k3", await RaceAsync(Func(silent), waiter, "k3", waiterOptions));
        Assert.Equal(0, Volatile.Read(ref retryDelays));
        Assert.Equal("k4", await RaceAsync(Func(publishing), waiter, "k4", waiterOptions));
        Assert.True(Volatile.Read(ref retryDelays) >= 1);
    }

    private Task<long> SetCallsAsync() => CoalescedReadRedisTests.GetCallsAsync(server.Port, "set");

    private static CacheFunc Func(RedisCache cache) => new(cache, TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5));

    // The leader takes the lock and holds its factory until the waiter (on another connection: another server) has
    // subscribed to the lock's channel; the waiter's own factory must not run.
    private async Task<string> RaceAsync(CacheFunc leader, CacheFunc waiter, string key, RedisCacheOptions options)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var finish = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var leading = leader.DoAsync(key, async _ =>
        {
            started.SetResult();
            await finish.Task;
            return key;
        }).AsTask();
        await started.Task.WaitAsync(Guard);
        var sets = await SetCallsAsync();
        var waiting = waiter.DoAsync(key, _ => Task.FromResult("the waiter ran")).AsTask();

        // The waiter's two lock attempts (SET NX): before subscribing, and the look right after it. Only then is the
        // leader let go, so the result cannot be found by that second look (which would teach nothing either way); a
        // notification arriving before the wait begins is kept by the subscription and ends the wait at once.
        await Polling.EventuallyAsync(async () => await SetCallsAsync() - sets >= 2);
        Assert.EndsWith("\n1", (await RedisCli.CommandAsync(server.Port, "PUBSUB", "NUMSUB", options.LockKey(key))).TrimEnd(), StringComparison.Ordinal);
        finish.SetResult();
        Assert.Equal(key, await leading.WaitAsync(Guard));
        return await waiting.WaitAsync(Guard);
    }
}
