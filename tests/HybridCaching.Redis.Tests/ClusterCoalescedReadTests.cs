using HybridCaching.Redis.Tests.Fixtures;
using HybridCaching.Testing.Redis;

namespace HybridCaching.Redis.Tests;

/// <summary><see cref="CoalescedReadRedisTests"/> on the Redis Cluster: 64 concurrent Redis-only hits on one key make at
/// most 2 GETs, counted by <c>INFO commandstats</c> on every node while the key's primary holds its clients.</summary>
[Collection(ClusterCollection.Name)]
[Trait("Category", "Redis")]
public sealed class ClusterCoalescedReadTests(RedisClusterFixture cluster)
{
    [Fact]
    public async Task DoAsync_SixtyFourConcurrentHitsOnOneKey_Cluster_AtMostTwoGetsReachRedis()
    {
        await cluster.WaitForHealthyAsync();
        var options = RedisTestCache.CacheOptions();
        await using var cache = await RedisTestCache.CreateAsync(RedisTestCache.Configuration(cluster.ConfigurationString), options);
        var func = new CacheFunc(cache, new CacheFuncOptions { WaitFor = TimeSpan.FromSeconds(20) });
        var runs = 0;
        Assert.Equal("v", await func.DoAsync("hot", _ => { runs++; return Task.FromResult("v"); }));
        var owner = await cluster.GetPrimaryForSlotAsync(RedisHashSlot.Of(options.Prefix + "hot"));
        var before = await GetCallsByNodeAsync();

        // Only the key's primary holds its clients (its cluster bus and replication go on).
        await CoalescedReadRedisTests.HitWhilePausedAsync(owner.Port, func, "hot", "v", () => runs++);

        Assert.Equal(1, runs);
        var after = await GetCallsByNodeAsync();
        Assert.InRange(after[owner.Port] - before[owner.Port], 1, 2);
        Assert.InRange(after.Values.Sum() - before.Values.Sum(), 1, 2);
    }

    // GETs per node: the sum counts a GET sent to a replica or redirected too.
    private async Task<Dictionary<int, long>> GetCallsByNodeAsync()
    {
        var calls = new Dictionary<int, long>();
        foreach (var node in cluster.Nodes.Where(n => n.IsRunning && !n.IsPaused))
        {
            calls[node.Port] = await CoalescedReadRedisTests.GetCallsAsync(node.Port);
        }

        return calls;
    }
}
