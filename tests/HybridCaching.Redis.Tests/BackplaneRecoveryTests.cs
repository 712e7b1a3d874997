using HybridCaching.Testing.Redis;

namespace HybridCaching.Redis.Tests;

/// <summary>An invalidation whose publish failed is not lost: A's publishes are refused for two seconds (its ACL user
/// loses PUBLISH, on a real redis-server; its writes still reach Redis), and B, which heard nothing and holds the old
/// value in memory, drops it once A can publish again. Waits are polls with a generous guard; nothing asserts elapsed time.</summary>
[Collection(RedisCollection.Name)]
[Trait("Category", "Redis")]
public sealed class BackplaneRecoveryTests
{
    private const string Publisher = "publisher";

    [Fact]
    public async Task PublishRefusedForTwoSeconds_AfterRecovery_OtherInstanceDropsItsStaleCopy()
    {
        await using var own = await RedisServerFixture.StartAsync(new RedisServerOptions { Private = true });
        var options = RedisTestCache.CacheOptions();
        await using var a = await StartPublisherAsync(own, options);
        await using var b = await Instance.StartAsync(RedisTestCache.Configuration(own), options);
        var funcB = new CacheFunc(b.Hybrid, TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5));
        await HoldInMemoryAsync(a, b, funcB, "k", "v1");

        await RefusePublishAsync(own);
        await a.Hybrid.SetAsync("k", BackplaneTests.Payload("v2"), TimeSpan.FromMinutes(5));
        await BackplaneTests.WaitUntilAsync(() => Task.FromResult(a.Backplane.PublishesFailed >= 2), "A's announcement to fail and be retried");

        // Two seconds of outage: A's write is in Redis, B still serves its copy (nothing reached it), A keeps trying.
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.Equal("v1", await funcB.DoAsync("k", _ => Task.FromResult("fromB")));
        var failedDuringOutage = a.Backplane.PublishesFailed;
        Assert.True(failedDuringOutage >= 3, $"{failedDuringOutage} failed publishes: A did not retry");

        await AllowPublishAsync(own);
        await BackplaneTests.WaitUntilAsync(async () => await funcB.DoAsync("k", _ => Task.FromResult("fromB")) == "v2", "B to read v2 after A could publish again");
        Assert.True(a.Backplane.KeysPublished >= 2);
    }

    [Fact]
    public async Task PendingKeysPastTheLimit_AfterRecovery_AnnouncedAsOneClear()
    {
        await using var own = await RedisServerFixture.StartAsync(new RedisServerOptions { Private = true });
        var options = RedisTestCache.CacheOptions();
        await using var a = await StartPublisherAsync(own, options);
        await using var b = await Instance.StartAsync(RedisTestCache.Configuration(own), options);
        a.Backplane.PendingKeyLimit = 3;
        var funcB = new CacheFunc(b.Hybrid, TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5));
        var keys = Enumerable.Range(0, 5).Select(i => "k" + i).ToArray();
        foreach (var key in keys)
        {
            await HoldInMemoryAsync(a, b, funcB, key, "old");
        }

        // A key A never writes: only a clear drops it from B's memory.
        await b.Hybrid.SetAsync("untouched", BackplaneTests.Payload("u"), TimeSpan.FromMinutes(5));
        Assert.NotNull(await b.Memory.GetAsync("untouched"));

        await RefusePublishAsync(own);
        foreach (var key in keys)
        {
            await a.Hybrid.SetAsync(key, BackplaneTests.Payload("new"), TimeSpan.FromMinutes(5));
        }

        await BackplaneTests.WaitUntilAsync(() => Task.FromResult(a.Backplane.PublishesFailed >= 2), "A's announcements to fail");
        foreach (var key in keys)
        {
            Assert.Equal("old", await funcB.DoAsync(key, _ => Task.FromResult("fromB")));
        }

        await AllowPublishAsync(own);
        // Only a clear drops the key A never wrote.
        await BackplaneTests.WaitUntilAsync(async () => await b.Memory.GetAsync("untouched") is null, "B to clear its memory level");
        foreach (var key in keys)
        {
            Assert.Equal("new", await funcB.DoAsync(key, _ => Task.FromResult("fromB")));
        }
    }

    // A publishes as an ACL user that may do everything; RefusePublishAsync takes PUBLISH away from it.
    private static async Task<Instance> StartPublisherAsync(RedisServerFixture server, RedisCacheOptions options)
    {
        await RedisCli.CommandAsync(server.Port, "ACL", "SETUSER", Publisher, "on", ">pw", "~*", "&*", "+@all");
        var configuration = RedisTestCache.Configuration(server);
        configuration.User = Publisher;
        configuration.Password = "pw";
        return await Instance.StartAsync(configuration, options);
    }

    private static Task RefusePublishAsync(RedisServerFixture server) => RedisCli.CommandAsync(server.Port, "ACL", "SETUSER", Publisher, "-publish");

    private static Task AllowPublishAsync(RedisServerFixture server) => RedisCli.CommandAsync(server.Port, "ACL", "SETUSER", Publisher, "+publish");

    // A writes the value, and B reads it into memory once A's announcement has reached it (B copies a value into memory
    // only when no announcement arrived during its fetch).
    internal static async Task HoldInMemoryAsync(Instance a, Instance b, CacheFunc funcB, string key, string value)
    {
        var heard = b.Backplane.MessagesReceived;
        await a.Hybrid.SetAsync(key, BackplaneTests.Payload(value), TimeSpan.FromMinutes(5));
        await BackplaneTests.WaitUntilAsync(() => Task.FromResult(b.Backplane.MessagesReceived > heard), "B to hear A's write");
        Assert.Equal(value, await funcB.DoAsync(key, _ => Task.FromResult("fromB")));
        Assert.NotNull(await b.Memory.GetAsync(key));
    }
}
