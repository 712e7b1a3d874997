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

    [Fact]
    public async Task DoAsync_HybridOverDeadRedis_CountsErrorsAndRecordsFailedRedisDurations()
    {
        const int Keys = 10;
        await using var own = await RedisServerFixture.StartAsync(new RedisServerOptions { Private = true });
        var redis = await RedisTestCache.CreateAsync(own, RedisTestCache.CacheOptions());
        await using var hybrid = new HybridCache(redis, new MemoryCache(100, 1 << 20, TimeSpan.FromHours(1)));
        var func = new CacheFunc(hybrid, new CacheFuncOptions { Name = "dead-" + Guid.NewGuid().ToString("N") });
        await own.KillAsync();
        await RedisCli.WaitUntilAsync(() => Task.FromResult(!redis.Multiplexer!.IsConnected), "the client saw Redis go", TimeSpan.FromSeconds(30));
        using var errors = new MetricCollector<long>(null, "HybridCaching", "hybridcaching.errors");
        using var redisDuration = new MetricCollector<double>(null, "HybridCaching", "hybridcaching.redis.duration");

        for (var i = 0; i < Keys; i++)
        {
            Assert.Equal(i, await func.DoAsync($"k{i}", _ => Task.FromResult(i))); // served around the dead Redis
        }

        // Counted by the hybrid level (shared by every CacheFunc over it, hence no cache.name), under the level that
        // failed. Lower bounds: the meter is process-wide. The writes follow the callers: wait for them.
        long Errors(string operation) => errors.GetMeasurementSnapshot()
            .Where(m => Equals(m.Tags.GetValueOrDefault("cache.level"), "redis") && !m.Tags.ContainsKey("cache.name") && Equals(m.Tags.GetValueOrDefault("operation"), operation))
            .Sum(m => m.Value);
        await RedisCli.WaitUntilAsync(() => Task.FromResult(Errors("write") >= Keys), "every write counted", TimeSpan.FromSeconds(30));
        Assert.True(Errors("read") >= Keys, $"read errors: {Errors("read")}");
        var failed = redisDuration.GetMeasurementSnapshot().Where(m => m.Tags.ContainsKey("error.type")).Select(m => m.Tags["operation"]).ToHashSet();
        Assert.Contains("fetch", failed);
        Assert.Contains("set", failed);
    }
}
