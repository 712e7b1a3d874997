using HybridCaching.Testing;
using HybridCaching.Testing.Redis;

namespace HybridCaching.Redis.Tests;

// A stalled Redis never strands a lock. The chaos run through repeated write pauses is PauseChaosTests.
[Collection(RedisFaultCollection.Name)]
[Trait("Category", "Redis")]
public sealed class LockFaultTests
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task RaceAsync_LockAttemptReachesRedisAfterItsCallerGaveUp_WaitersGetThatCallersResult()
    {
        await using var server = await RedisServerFixture.StartAsync(new RedisServerOptions { Private = true });
        var scope = Guid.NewGuid().ToString("N")[..12];
        var stalledOptions = RedisTestCache.CacheOptions(scope);
        stalledOptions.OperationTimeout = TimeSpan.FromMilliseconds(300);
        await using var stalled = await RedisTestCache.CreateAsync(server, stalledOptions);
        await using var other = await RedisTestCache.CreateAsync(server, RedisTestCache.CacheOptions(scope));

        // Writes wait 2 s: the lock attempt (SET … NX) is given up after 300 ms and the work runs here; then Redis runs it.
        await RedisCli.CommandAsync(server.Port, "CLIENT", "PAUSE", "2000", "WRITE");
        var ran = await stalled.RaceAsync("k", _ => Task.FromResult(new RaceResult("here"u8.ToArray())), TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(60));
        Assert.Equal("here"u8.ToArray(), ran.Value);

        // Commands on one connection run in order: once this PING is answered, the late SET has taken the lock.
        await stalled.Db().PingAsync().WaitAsync(Guard);

        // The lock (60 s) must not make another server wait out its waitFor: it gets the result of the run done instead.
        var otherCalls = 0;
        var got = await other.RaceAsync(
            "k",
            _ =>
            {
                Interlocked.Increment(ref otherCalls);
                return Task.FromResult(new RaceResult("other"u8.ToArray()));
            },
            TimeSpan.FromSeconds(10),
            TimeSpan.FromSeconds(60)).WaitAsync(Guard);

        Assert.Equal("here"u8.ToArray(), got.Value);
        Assert.Equal(0, otherCalls);
    }

    [Fact]
    public async Task RaceAsync_CallerLeavesWhileTheLockAttemptIsStalled_LockIsReleasedOnceRedisRunsIt()
    {
        await using var server = await RedisServerFixture.StartAsync(new RedisServerOptions { Private = true });
        var options = RedisTestCache.CacheOptions();
        await using var cache = await RedisTestCache.CreateAsync(server, options);
        using var leave = new CancellationTokenSource();

        await RedisCli.CommandAsync(server.Port, "CLIENT", "PAUSE", "3000", "WRITE");
        var racing = cache.RaceAsync("k", _ => Task.FromResult(new RaceResult(null)), TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(60), leave.Token);

        // The caller leaves once its SET … NX is held by the pause.
        await RedisCli.WaitUntilAsync(
            async () => RedisCli.ParseInfo(await RedisCli.CommandAsync(server.Port, "INFO", "clients")).GetValueOrDefault("blocked_clients") == "1",
            "the lock attempt held by the pause",
            Guard);
        await leave.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => racing.WaitAsync(Guard));

        // Once the pause ends Redis takes the lock (60 s) for nobody: it must be released, not left to expire.
        await cache.Db().PingAsync().WaitAsync(Guard);
        await WaitForNoLockAsync(server, options.LockKey("k"));
    }

    [Fact]
    public async Task RaceAsync_LeaderAbandonedByEveryCaller_ReleasesItsLock()
    {
        await using var server = await RedisServerFixture.StartAsync(new RedisServerOptions { Private = true });
        var options = RedisTestCache.CacheOptions();
        await using var cache = await RedisTestCache.CreateAsync(server, options);
        using var leave = new CancellationTokenSource();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var racing = cache.RaceAsync(
            "k",
            async token =>
            {
                started.SetResult();
                await Task.Delay(Timeout.Infinite, token);
                return new RaceResult(null);
            },
            TimeSpan.FromSeconds(60),
            TimeSpan.FromSeconds(60),
            leave.Token);
        await started.Task.WaitAsync(Guard);
        Assert.Equal("1", (await RedisCli.CommandAsync(server.Port, "GET", options.LockKey("k"))).Trim());

        await leave.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => racing.WaitAsync(Guard));
        await WaitForNoLockAsync(server, options.LockKey("k"));
    }

    private static Task WaitForNoLockAsync(RedisServerFixture server, string lockKey) => RedisCli.WaitUntilAsync(
        async () => (await RedisCli.CommandAsync(server.Port, "EXISTS", lockKey)).Trim() == "0",
        "the lock released",
        Guard);
}
