using HybridCaching.Redis.Tests.Fixtures;
using HybridCaching.Testing.Redis;

namespace HybridCaching.Redis.Tests;

/// <summary><see cref="BackplaneRecoveryTests"/> on the Redis Cluster, where announcements travel by sharded pub/sub
/// (SPUBLISH to the channel's shard): A's ACL user, created on every node, loses PUBLISH and SPUBLISH for two seconds
/// while A writes one key on each primary, and B, which holds the old values in memory, drops them once A can publish
/// again. Waits are polls with a generous guard; nothing asserts elapsed time.</summary>
[Collection(ClusterCollection.Name)]
[Trait("Category", "Redis")]
public sealed class ClusterBackplaneRecoveryTests(RedisClusterFixture cluster)
{
    [Fact]
    public async Task PublishRefusedForTwoSeconds_Cluster_AfterRecovery_OtherInstanceDropsItsStaleCopies()
    {
        await cluster.WaitForHealthyAsync();
        var user = "publisher" + Guid.NewGuid().ToString("N")[..8];
        await OnEveryNodeAsync("ACL", "SETUSER", user, "on", ">pw", "~*", "&*", "+@all");
        try
        {
            var options = RedisTestCache.CacheOptions();
            var publisher = RedisTestCache.Configuration(cluster.ConfigurationString);
            publisher.User = user;
            publisher.Password = "pw";
            await using var a = await Instance.StartAsync(publisher, options);
            await using var b = await Instance.StartAsync(RedisTestCache.Configuration(cluster.ConfigurationString), options);
            var funcB = new CacheFunc(b.Hybrid, TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5));
            var keys = (await cluster.GetPrimariesAsync()).Select(p => RedisHashSlot.KeyIn(p.Slots[0], "k")).ToList();
            foreach (var key in keys)
            {
                await BackplaneRecoveryTests.HoldInMemoryAsync(a, b, funcB, key, "v1");
            }

            await OnEveryNodeAsync("ACL", "SETUSER", user, "-publish", "-spublish");
            foreach (var key in keys)
            {
                await a.Hybrid.SetAsync(key, BackplaneTests.Payload("v2"), TimeSpan.FromMinutes(5));
            }

            await BackplaneTests.WaitUntilAsync(() => Task.FromResult(a.Backplane.PublishesFailed >= 2), "A's announcement to fail and be retried");

            // Two seconds of outage: A's writes are in Redis (on three primaries), B still serves its copies, A keeps trying.
            await Task.Delay(TimeSpan.FromSeconds(2));
            foreach (var key in keys)
            {
                Assert.Equal("v1", await funcB.DoAsync(key, _ => Task.FromResult("fromB")));
                Assert.NotNull(await b.Redis.GetAsync(key));
            }

            var failedDuringOutage = a.Backplane.PublishesFailed;
            Assert.True(failedDuringOutage >= 3, $"{failedDuringOutage} failed publishes: A did not retry");

            await OnEveryNodeAsync("ACL", "SETUSER", user, "+publish", "+spublish");
            foreach (var key in keys)
            {
                await BackplaneTests.WaitUntilAsync(async () => await funcB.DoAsync(key, _ => Task.FromResult("fromB")) == "v2", "B to read v2 for " + key + " after A could publish again");
            }

            Assert.True(a.Backplane.KeysPublished >= keys.Count * 2);
        }
        finally
        {
            await OnEveryNodeAsync("ACL", "DELUSER", user);
        }
    }

    // ACL users are per node: a cluster does not propagate them.
    private async Task OnEveryNodeAsync(params string[] command)
    {
        foreach (var node in cluster.Nodes.Where(n => n.IsRunning && !n.IsPaused))
        {
            await RedisCli.CommandAsync(node.Port, command);
        }
    }
}
