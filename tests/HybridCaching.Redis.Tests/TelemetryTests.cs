using HybridCaching.Testing.Redis;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace HybridCaching.Redis.Tests;

// The meter is process-wide and other Redis tests run in parallel: assertions are lower bounds on what this test did.
[Collection(RedisCollection.Name)]
public sealed class TelemetryTests(RedisServerFixture server)
{
    [Fact]
    public async Task RaceAsync_SecondServerWaitsOnLeader_RecordsServersWaitAndRedisDurations()
    {
        using var waits = new MetricCollector<long>(null, "HybridCaching", "hybridcaching.waits");
        using var redisDuration = new MetricCollector<double>(null, "HybridCaching", "hybridcaching.redis.duration");
        var scope = Guid.NewGuid().ToString("N")[..12];
        var retried = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var waiterOptions = RedisTestCache.CacheOptions(scope);
        waiterOptions.RetryDelay = _ =>
        {
            retried.TrySetResult(); // the waiter found the lock held and no result yet: it is waiting
            return TimeSpan.FromMilliseconds(20);
        };
        await using var leaderServer = await RedisTestCache.CreateAsync(server, RedisTestCache.CacheOptions(scope));
        await using var waitingServer = await RedisTestCache.CreateAsync(server, waiterOptions);
        var leader = new CacheFunc(leaderServer, new CacheFuncOptions { Name = "leader" });
        var waiter = new CacheFunc(waitingServer, new CacheFuncOptions { Name = "waiter" });
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);

        var leading = leader.DoAsync("k", async _ =>
        {
            started.SetResult();
            return await release.Task;
        }).AsTask();
        await started.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var waiting = waiter.DoAsync("k", _ => Task.FromResult("not run: the other server leads")).AsTask();
        await retried.Task.WaitAsync(TimeSpan.FromSeconds(30));
        release.SetResult("from leader");

        Assert.Equal("from leader", await leading.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal("from leader", await waiting.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains(waits.GetMeasurementSnapshot(), m => Equals(m.Tags["scope"], "servers"));
        var operations = redisDuration.GetMeasurementSnapshot().Select(m => m.Tags["operation"]).ToHashSet();
        Assert.Contains("get", operations);
        Assert.Contains("set", operations);
    }
}
