using HybridCaching.Redis.Tests.Fixtures;
using HybridCaching.Testing;
using HybridCaching.Testing.Redis;
using Xunit.Abstractions;

namespace HybridCaching.Redis.Tests;

/// <summary>RedisCache through Sentinel (service name): reads and writes reach the primary, and traffic goes on through a
/// <c>SENTINEL FAILOVER</c>.</summary>
[Collection(SentinelCollection.Name)]
[Trait("Category", "Redis")]
public sealed class SentinelTests(RedisSentinelFixture sentinel, ITestOutputHelper output)
{
    [Fact]
    public async Task DoAsync_ConnectedByServiceName_StoresOnThePrimary()
    {
        await sentinel.WaitForHealthyAsync();
        var options = RedisTestCache.CacheOptions();
        await using var cache = new RedisCache(sentinel.ConfigurationString, options);
        var func = new CacheFunc(cache, TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5));

        Assert.Equal("v", await func.DoAsync("k", _ => Task.FromResult("v")));

        var primary = await sentinel.GetPrimaryPortAsync();
        await RedisCli.WaitUntilAsync(
            async () => (await RedisCli.CommandAsync(primary, "EXISTS", options.Prefix + "k")).Trim() == "1",
            "the value on the primary",
            TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task HybridDoAsync_SentinelFailoverMidTraffic_NoFailedCallsAndWritesLandOnTheNewPrimary()
    {
        await sentinel.WaitForHealthyAsync();
        var options = RedisTestCache.CacheOptions();
        options.OperationTimeout = TimeSpan.FromSeconds(1);
        await using var redis = new RedisCache(sentinel.ConfigurationString, options);
        await using var hybrid = new HybridCache(redis, new MemoryCache(10_000, 64 << 20, TimeSpan.FromMilliseconds(500)));
        var func = new CacheFunc(hybrid, TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(200), TimeSpan.FromMinutes(5));

        var run = await ChaosRun.RunAsync(
            async (caller, i, _) =>
            {
                var key = "k" + ((i + caller) % 20);
                Assert.Equal("v-" + key, await func.DoAsync(key, _ => Task.FromResult("v-" + key)));
            },
            () => sentinel.FailoverAsync(),
            new ChaosOptions { Callers = 8 });

        var newPrimary = run.ActionResult.NewPrimaryPort;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var probe = 0;
        await RedisCli.WaitUntilAsync(
            async () =>
            {
                var key = "probe" + probe++;
                try
                {
                    await redis.SetAsync(key, "p"u8.ToArray(), TimeSpan.FromMinutes(5));
                }
                catch (Exception ex) when (ex is StackExchange.Redis.RedisException or TimeoutException)
                {
                    return false;
                }

                return (await RedisCli.CommandAsync(newPrimary, "EXISTS", options.Prefix + key)).Trim() == "1";
            },
            "a cache write on the new primary",
            TimeSpan.FromSeconds(60));
        output.WriteLine($"failover {run.ActionResult.OldPrimaryPort} → {newPrimary} reported by every sentinel after {run.ActionElapsed.TotalMilliseconds:F0} ms; "
            + $"first cache write on the new primary {clock.ElapsedMilliseconds} ms later; {run}");

        Assert.Equal(0, run.Failures);
        Assert.True(run.SuccessesByPhase[(int)ChaosPhase.During] > 0, run.ToString());
    }
}
