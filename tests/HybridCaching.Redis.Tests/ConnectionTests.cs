using HybridCaching.Testing.Redis;
using StackExchange.Redis;

namespace HybridCaching.Redis.Tests;

// An owned multiplexer's first connection attempt: writes made during it are stored, and disposal does not wait for it
// (issue 19, items 10 and 11).
[Collection(RedisCollection.Name)]
[Trait("Category", "Redis")]
public sealed class ConnectionTests(RedisServerFixture server)
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(20);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task DoAsync_WhileTheFirstConnectionIsMade_StoresItsValuesOnceConnected(bool hybrid)
    {
        await using var proxy = new HeldRedisProxy(server.Port);
        var options = RedisTestCache.CacheOptions();
        options.OperationTimeout = TimeSpan.FromMilliseconds(200);
        await using var redis = new RedisCache(Configuration(proxy), options);
        await using ICacheAdapter cache = hybrid ? new HybridCache(redis, new MemoryCache(10_000, 64 << 20, TimeSpan.FromMinutes(1))) : redis;
        var func = new CacheFunc(cache, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5));

        // Redis does not answer yet: each call runs its factory here; its write must wait for the connection, not be dropped.
        for (var i = 0; i < 3; i++)
        {
            var value = "v" + i;
            Assert.Equal(value, await func.DoAsync("k" + i, _ => Task.FromResult(value)).AsTask().WaitAsync(Guard));
        }

        Assert.Null(redis.Multiplexer);
        proxy.Open();

        for (var i = 0; i < 3; i++)
        {
            var key = options.Prefix + "k" + i;
            await RedisCli.WaitUntilAsync(async () => (await RedisCli.CommandAsync(server.Port, "EXISTS", key)).Trim() == "1", key + " stored", Guard);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task DisposeAsync_FirstConnectionAttemptStillUnderWay_DoesNotWaitForIt(bool hybrid)
    {
        // Never opened: an endpoint that accepts and never answers keeps the attempt going for its 30 s connect timeout.
        await using var proxy = new HeldRedisProxy(server.Port);
        var redis = new RedisCache(Configuration(proxy), RedisTestCache.CacheOptions());
        ICacheAdapter cache = hybrid ? new HybridCache(redis, new MemoryCache(10_000, 64 << 20, TimeSpan.FromMinutes(1))) : redis;
        var write = cache.SetAsync("k", "v"u8.ToArray(), TimeSpan.FromMinutes(1)).AsTask();

        await cache.DisposeAsync().AsTask().WaitAsync(Guard);

        // The write waiting for the connection is failed by the disposal, not left waiting.
        await Assert.ThrowsAsync<ObjectDisposedException>(() => write.WaitAsync(Guard));
        Assert.Null(redis.Multiplexer);
    }

    private static ConfigurationOptions Configuration(HeldRedisProxy proxy)
    {
        var configuration = RedisTestCache.Configuration(proxy.EndPoint);
        configuration.ConnectTimeout = 30_000;
        configuration.SyncTimeout = configuration.AsyncTimeout = 30_000;
        return configuration;
    }
}
