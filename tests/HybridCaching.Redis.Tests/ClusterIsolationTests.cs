using System.Globalization;
using System.Text;
using HybridCaching.Redis.Tests.Fixtures;
using HybridCaching.Testing.Redis;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace HybridCaching.Redis.Tests;

/// <summary>One hung cluster node (SIGSTOP) puts only its own slots into fail-fast: keys of the other primaries keep
/// reading and writing Redis, the hung node's keys fail at once once one of their calls ran past the operation timeout
/// (and a hybrid cache serves them from memory), and they use Redis again once the node answers.</summary>
[Collection(ClusterCollection.Name)]
[Trait("Category", "Redis")]
public sealed class ClusterIsolationTests(RedisClusterFixture cluster, ITestOutputHelper output)
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task OnePrimaryStopped_OtherShardsKeepUsingRedis_StoppedShardFailsFastThenUsesRedisAgain()
    {
        await cluster.WaitForHealthyAsync();

        // No failover during the stall, as with Redis's default 15 s node timeout: the fixture's 1 s would fail the node
        // over, and while that happens every node refuses every key (full coverage required), which is not tested here.
        await SetNodeTimeoutAsync(TimeSpan.FromMinutes(2));
        RedisClusterNode? victim = null;
        try
        {
            var scope = Guid.NewGuid().ToString("N")[..12];
            var options = RedisTestCache.CacheOptions(scope);
            options.OperationTimeout = TimeSpan.FromMilliseconds(500);
            await using var cache = await CreateAsync(options);

            // Another server on the same keys, which never calls the stopped node while it is stopped.
            await using var other = await CreateAsync(RedisTestCache.CacheOptions(scope));
            await using var hybrid = new HybridCache(cache, new MemoryCache(10_000, 64 << 20, TimeSpan.FromMinutes(5)));
            var func = new CacheFunc(hybrid, TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(5));

            var primaries = await cluster.GetPrimariesAsync();
            victim = primaries[1];
            var stalled = Enumerable.Range(0, 4).Select(i => ClusterTests.HashTaggedKey(options.Prefix, victim.Slots[i * 100], i)).ToArray();
            var healthy = primaries.Where(p => p.Id != victim.Id)
                .SelectMany(p => Enumerable.Range(0, 5).Select(i => ClusterTests.HashTaggedKey(options.Prefix, p.Slots[i * 200], 100 + i)))
                .ToArray();
            foreach (var key in stalled.Concat(healthy))
            {
                await cache.SetAsync(key, Bytes("before"), TimeSpan.FromMinutes(5));
            }

            var factoryRuns = 0;
            Assert.Equal("memo", await func.DoAsync(stalled[3], _ => { factoryRuns++; return Task.FromResult("memo"); }));

            await cluster.Process(victim).PauseAsync();

            // The first call on the stopped node waits out the operation timeout and marks that node only.
            await Assert.ThrowsAsync<TimeoutException>(() => cache.GetAsync(stalled[0]).AsTask()).WaitAsync(Guard);

            var served = 0;
            for (var round = 0; round < 5; round++)
            {
                // Calls on the stopped node's keys fail before anything is sent: the returned task is already faulted.
                AssertFailsAtOnce(cache.GetAsync(stalled[1]).AsTask());
                AssertFailsAtOnce(cache.FetchAsync(stalled[1]).AsTask());
                AssertFailsAtOnce(cache.SetAsync(stalled[2], Bytes("x"), TimeSpan.FromMinutes(1)).AsTask());

                // Keys of the other primaries reach Redis: another client's write is read, this cache's write is seen by it.
                var theirs = "theirs-" + round.ToString(CultureInfo.InvariantCulture);
                var ours = "ours-" + round.ToString(CultureInfo.InvariantCulture);
                foreach (var key in healthy)
                {
                    await other.SetAsync(key, Bytes(theirs), TimeSpan.FromMinutes(5)).AsTask().WaitAsync(Guard);
                    Assert.Equal(theirs, Text(await cache.GetAsync(key).AsTask().WaitAsync(Guard)));
                    Assert.True((await cache.FetchAsync(key).AsTask().WaitAsync(Guard)).Found);
                    await cache.SetAsync(key, Bytes(ours), TimeSpan.FromMinutes(5)).AsTask().WaitAsync(Guard);
                    Assert.Equal(ours, Text(await other.GetAsync(key).AsTask().WaitAsync(Guard)));
                    served++;
                }

                // A delete across shards removes the healthy shard's key; a race on a healthy key takes its lock in Redis.
                await cache.DeleteAsync([healthy[0]]).AsTask().WaitAsync(Guard);
                Assert.Null(await other.GetAsync(healthy[0]).AsTask().WaitAsync(Guard));
                var raced = await cache.RaceAsync(healthy[1], _ => Task.FromResult(new RaceResult(Bytes("raced"))), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5)).WaitAsync(Guard);
                Assert.Equal("raced", Text(raced.Value));

                // The hybrid cache serves the stopped node's key from memory.
                Assert.Equal("memo", await func.DoAsync(stalled[3], _ => { factoryRuns++; return Task.FromResult("computed"); }).AsTask().WaitAsync(Guard));
                await Task.Delay(200);
            }

            Assert.True(cluster.Process(victim).IsPaused);
            Assert.Equal(1, factoryRuns);
            output.WriteLine($"{served} round trips on healthy shards while {victim.EndPoint} was stopped, none failed");

            await cluster.Process(victim).ResumeAsync();

            // Once the node answers the guard's PING, its keys use Redis again: a value written by the other client is read.
            await other.SetAsync(stalled[0], Bytes("after"), TimeSpan.FromMinutes(5)).AsTask().WaitAsync(Guard);
            await RedisCli.WaitUntilAsync(
                async () =>
                {
                    try
                    {
                        return Text(await cache.GetAsync(stalled[0])) == "after";
                    }
                    catch (RedisException)
                    {
                        return false;
                    }
                },
                "the resumed node's key to be read from Redis again",
                Guard);
            await cache.SetAsync(stalled[2], Bytes("written"), TimeSpan.FromMinutes(5)).AsTask().WaitAsync(Guard);
            Assert.Equal("written", Text(await other.GetAsync(stalled[2])));
        }
        finally
        {
            if (victim is not null && cluster.Process(victim).IsPaused)
            {
                await cluster.Process(victim).ResumeAsync();
            }

            await SetNodeTimeoutAsync(cluster.NodeTimeout);
            await cluster.WaitForHealthyAsync();
        }
    }

    // A task already faulted when the call returned: nothing was sent (a call sent to the stopped node would be pending).
    private static void AssertFailsAtOnce(Task call)
    {
        Assert.True(call.IsFaulted, "The call was sent to the stopped node instead of failing at once.");
        Assert.IsType<TimeoutException>(call.Exception!.InnerException);
    }

    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    private static string? Text(byte[]? value) => value is null ? null : Encoding.UTF8.GetString(value);

    private async Task SetNodeTimeoutAsync(TimeSpan timeout)
    {
        foreach (var node in cluster.Nodes.Where(n => n.IsRunning && !n.IsPaused))
        {
            await RedisCli.CommandAsync(node.Port, "CONFIG", "SET", "cluster-node-timeout", ((long)timeout.TotalMilliseconds).ToString(CultureInfo.InvariantCulture));
        }
    }

    private Task<RedisCache> CreateAsync(RedisCacheOptions options)
        => RedisTestCache.CreateAsync(RedisTestCache.Configuration(cluster.ConfigurationString), options);
}
