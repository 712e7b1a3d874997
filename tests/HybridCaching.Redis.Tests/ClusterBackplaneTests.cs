using HybridCaching.Redis.Tests.Fixtures;
using HybridCaching.Testing.Redis;

namespace HybridCaching.Redis.Tests;

/// <summary>The backplane on a Redis Cluster (sharded pub/sub: the channel lives in one slot's shard).</summary>
[Collection(ClusterCollection.Name)]
[Trait("Category", "Redis")]
public sealed class ClusterBackplaneTests(RedisClusterFixture cluster)
{
    [Fact]
    public async Task SetAndDeleteOnA_Cluster_BSeesThem()
    {
        await cluster.WaitForHealthyAsync();
        var options = RedisTestCache.CacheOptions();
        var configuration = RedisTestCache.Configuration(cluster.ConfigurationString);
        await using var a = await Instance.StartAsync(configuration, options);
        await using var b = await Instance.StartAsync(configuration, options);
        var funcB = new CacheFunc(b.Hybrid, TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5));
        var keys = (await cluster.GetPrimariesAsync()).Select(p => RedisHashSlot.KeyIn(p.Slots[0], "k")).ToList();

        foreach (var key in keys)
        {
            await a.Hybrid.SetAsync(key, BackplaneTests.Payload("v1"), TimeSpan.FromMinutes(5));
            Assert.Equal("v1", await funcB.DoAsync(key, _ => Task.FromResult("fromB")));
            await a.Hybrid.SetAsync(key, BackplaneTests.Payload("v2"), TimeSpan.FromMinutes(5));
        }

        foreach (var key in keys)
        {
            await BackplaneTests.WaitUntilAsync(async () => await funcB.DoAsync(key, _ => Task.FromResult("fromB")) == "v2", "B reads v2 for " + key);
        }

        await a.Hybrid.DeleteAsync(keys);
        foreach (var key in keys)
        {
            await BackplaneTests.WaitUntilAsync(async () => await funcB.DoAsync(key, _ => Task.FromResult("fromB")) == "fromB", "B misses " + key);
        }
    }
}
