using System.Text;
using HybridCaching.Distributed;
using HybridCaching.Testing.Redis;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using StackExchange.Redis;

namespace HybridCaching.Redis.Tests;

/// <summary>RedisCache's synchronous path (ICacheSyncStorage, StackExchange.Redis's synchronous commands) and the
/// IDistributedCache bridge's synchronous members over it.</summary>
[Collection(RedisCollection.Name)]
[Trait("Category", "Redis")]
public sealed class SyncPathRedisTests(RedisServerFixture server)
{
    private static byte[] Bytes(string s) => Encoding.UTF8.GetBytes(s);

    [Fact]
    public async Task SyncMembers_SeeWhatTheAsyncOnesWroteAndTheOtherWayRound()
    {
        var options = RedisTestCache.CacheOptions();
        await using var cache = await RedisTestCache.CreateAsync(server, options);

        await cache.SetAsync("a", Bytes("1"), TimeSpan.FromMinutes(1));
        cache.Set("b", Bytes("2"), TimeSpan.FromMinutes(2));

        Assert.True(cache.CanRunSynchronously);
        Assert.Equal(Bytes("1"), cache.Get("a"));
        Assert.Equal(Bytes("2"), await cache.GetAsync("b"));
        var fetched = cache.Fetch("b");
        Assert.True(fetched.Found);
        Assert.InRange(fetched.TimeToLive, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(2));
        Assert.True(cache.RenewIfUnchanged("b", Bytes("2"), TimeSpan.FromMinutes(30)));
        Assert.False(cache.RenewIfUnchanged("b", Bytes("other"), TimeSpan.FromMinutes(90)));
        Assert.InRange((await cache.FetchAsync("b")).TimeToLive, TimeSpan.FromMinutes(29), TimeSpan.FromMinutes(30));

        cache.Delete(["a", "b"]);
        Assert.Equal(0, await cache.Db().KeyExistsAsync([options.Prefix + "a", options.Prefix + "b"]));
    }

    [Fact]
    public async Task SyncReadsAndWrites_AreRecordedLikeTheAsyncOnes()
    {
        var options = RedisTestCache.CacheOptions();
        await using var cache = await RedisTestCache.CreateAsync(server, options);
        await cache.Db().ListLeftPushAsync(options.Prefix + "list", "x");
        using var redisDuration = new MetricCollector<double>(null, "HybridCaching", "hybridcaching.redis.duration");

        cache.Set("k", [1], TimeSpan.FromMinutes(1));
        Assert.NotNull(cache.Get("k"));
        Assert.Null(cache.Get("list"));
        Assert.False(cache.Fetch("list").Found);

        // The meter is process-wide and other Redis tests run in parallel: lower bounds on what this test did.
        var recorded = redisDuration.GetMeasurementSnapshot().Where(m => !m.Tags.ContainsKey("error.type")).Select(m => (string?)m.Tags["operation"]).ToList();
        Assert.Contains("set", recorded);
        Assert.True(recorded.Count(o => o == "get") >= 2);
        Assert.Contains("fetch", recorded);
    }

    [Fact]
    public async Task SyncDelete_DropsTheRaceResultLeftUnderTheLockKey()
    {
        var options = RedisTestCache.CacheOptions();
        await using var cache = await RedisTestCache.CreateAsync(server, options);
        var func = new CacheFunc(cache, new CacheFuncOptions { WaitFor = TimeSpan.FromSeconds(10) });
        await func.DoAsync("k", _ => Task.FromResult("v"));
        Assert.True(await cache.Db().KeyExistsAsync(options.LockKey("k")));

        cache.Delete(["k"]);

        Assert.False(await cache.Db().KeyExistsAsync(options.Prefix + "k"));
        Assert.False(await cache.Db().KeyExistsAsync(options.LockKey("k")));
    }

    [Fact]
    public async Task Bridge_NoExpiration_IsStoredWithoutAPracticalEnd()
    {
        var options = RedisTestCache.CacheOptions();
        await using var cache = await RedisTestCache.CreateAsync(server, options);
        IDistributedCache bridge = new CacheAdapterDistributedCache(cache);

        bridge.SetString("sync", "v");
        await bridge.SetStringAsync("async", "v");

        foreach (var key in new[] { "sync", "async" })
        {
            var ttl = await cache.Db().KeyTimeToLiveAsync(options.Prefix + key);
            Assert.True(ttl > TimeSpan.FromDays(365 * 1000), $"{key}: {ttl}");
            Assert.Equal("v", bridge.GetString(key));
        }
    }

    [Fact]
    public async Task HybridOverRedis_SyncReadOfAnotherServersWrite_IsCopiedDown()
    {
        var options = RedisTestCache.CacheOptions();
        await using var writer = await RedisTestCache.CreateAsync(server, options);
        var memory = new MemoryCache(100, 1 << 20, TimeSpan.Zero);
        await using var hybrid = new HybridCache(await RedisTestCache.CreateAsync(server, options), memory);

        writer.Set("k", Bytes("v"), TimeSpan.FromMinutes(1));

        Assert.True(hybrid.CanRunSynchronously);
        Assert.Equal(Bytes("v"), hybrid.Get("k"));
        Assert.Equal(Bytes("v"), memory.Get("k"));
    }

    [Fact]
    public async Task SyncCall_RedisUnreachable_FailsWithAConnectionError()
    {
        // An owned multiplexer whose first connection attempt cannot succeed (nothing listens there).
        var configuration = RedisTestCache.Configuration("127.0.0.1:1");
        configuration.ConnectTimeout = 30_000;
        await using var cache = new RedisCache(configuration, RedisTestCache.CacheOptions());

        var get = Assert.ThrowsAny<RedisException>(() => cache.Get("k"));
        Assert.ThrowsAny<RedisException>(() => cache.Set("k", [1], TimeSpan.FromMinutes(1)));
        Assert.IsType<RedisConnectionException>(get);
    }
}

/// <summary>The synchronous path behind the async path's fail-fast gate: once Redis is known hung, a synchronous call
/// fails at once (the gate's TimeoutException) instead of waiting for its SyncTimeout.</summary>
[Collection(RedisFaultCollection.Name)]
[Trait("Category", "Redis")]
public sealed class SyncPathRedisFaultTests
{
    [Fact]
    public async Task SyncCalls_RedisKnownHung_FailAtTheGate_AndWorkAgainOnceItAnswers()
    {
        await using var server = await RedisServerFixture.StartAsync(new RedisServerOptions { Private = true });
        var options = RedisTestCache.CacheOptions();
        options.OperationTimeout = TimeSpan.FromMilliseconds(200);
        await using var cache = await RedisTestCache.CreateAsync(server, options);
        cache.Set("k", [1], TimeSpan.FromMinutes(1));

        await server.PauseAsync();
        try
        {
            await Assert.ThrowsAsync<TimeoutException>(async () => await cache.GetAsync("k")); // marks Redis hung

            foreach (var call in new Action[] { () => cache.Get("k"), () => cache.Set("k", [2], TimeSpan.FromMinutes(1)), () => cache.Delete(["k"]) })
            {
                var ex = Assert.IsType<TimeoutException>(Record.Exception(call)); // the gate's, not StackExchange.Redis's RedisTimeoutException
                Assert.Contains("failing fast", ex.Message, StringComparison.Ordinal);
            }
        }
        finally
        {
            await server.ResumeAsync();
        }

        await RedisCli.WaitUntilAsync(
            () =>
            {
                try
                {
                    return Task.FromResult(cache.Get("k") is [1]);
                }
                catch (Exception ex) when (ex is TimeoutException or RedisException)
                {
                    return Task.FromResult(false);
                }
            },
            "synchronous calls let through again after the server answers",
            TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task SyncCall_TimesOut_MarksTheServer_SoAsyncCallsFailAtOnce()
    {
        await using var server = await RedisServerFixture.StartAsync(new RedisServerOptions { Private = true });
        var configuration = RedisTestCache.Configuration(server);
        configuration.SyncTimeout = 300;
        var options = RedisTestCache.CacheOptions();
        options.OperationTimeout = TimeSpan.FromMilliseconds(200);
        await using var cache = await RedisTestCache.CreateAsync(configuration, options);
        cache.Set("k", [1], TimeSpan.FromMinutes(1));

        await server.PauseAsync();
        try
        {
            Assert.IsAssignableFrom<TimeoutException>(Record.Exception(() => cache.Get("k"))); // StackExchange.Redis's SyncTimeout

            // Marked by that timeout (it waited past OperationTimeout): the async call fails without being sent, its task
            // already failed instead of waiting out its own OperationTimeout.
            var get = cache.GetAsync("k");
            Assert.True(get.IsFaulted);
            var ex = await Assert.ThrowsAsync<TimeoutException>(async () => await get);
            Assert.Contains("failing fast", ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            await server.ResumeAsync();
        }
    }
}
