using HybridCaching.Distributed;
using HybridCaching.Testing.Redis;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using StackExchange.Redis;

namespace HybridCaching.Redis.Tests;

/// <summary>A key another program holds as another Redis type (a hash, as Microsoft's Redis IDistributedCache writes; a
/// list) is a miss on every read path, never an error or a Redis failure; a write replaces it.</summary>
[Collection(RedisCollection.Name)]
[Trait("Category", "Redis")]
public sealed class ForeignEntryTests(RedisServerFixture server)
{
    public static TheoryData<string> Types => ["hash", "list"];

    private static async Task HoldForeignAsync(RedisCache cache, RedisCacheOptions options, string key, string type)
    {
        var db = cache.Db();
        RedisKey full = options.Prefix + key;
        await db.KeyDeleteAsync(full);
        if (type == "hash")
        {
            await db.HashSetAsync(full, [new HashEntry("absexp", "-1"), new HashEntry("data", "x")]);
        }
        else
        {
            await db.ListLeftPushAsync(full, "x");
        }
    }

    [Theory]
    [MemberData(nameof(Types))]
    public async Task AdapterReads_ForeignType_AreMisses(string type)
    {
        var options = RedisTestCache.CacheOptions();
        await using var cache = await RedisTestCache.CreateAsync(server, options);
        await HoldForeignAsync(cache, options, "k", type);

        Assert.Null(await cache.GetAsync("k"));
        Assert.False((await cache.FetchAsync("k")).Found);
        Assert.Null(await new CacheAdapterDistributedCache(cache).GetAsync("k"));
        Assert.Null(cache.Get("k"));
        Assert.False(cache.Fetch("k").Found);
        Assert.Null(new CacheAdapterDistributedCache(cache).Get("k"));
    }

    [Theory]
    [MemberData(nameof(Types))]
    public async Task DoAsync_ForeignType_RunsTheFactory_ReplacesTheKey_LogsNoFailure(string type)
    {
        var options = RedisTestCache.CacheOptions();
        await using var cache = await RedisTestCache.CreateAsync(server, options);
        await HoldForeignAsync(cache, options, "k", type);
        var logger = new FakeLogger();
        var func = new CacheFunc(cache, new CacheFuncOptions { WaitFor = TimeSpan.FromSeconds(10), Logger = logger });

        Assert.Equal("computed", await func.DoAsync("k", _ => Task.FromResult("computed")));
        Assert.Equal("computed", await func.DoAsync("k", _ => Task.FromResult("again")));
        Assert.Equal(RedisType.String, await cache.Db().KeyTypeAsync(options.Prefix + "k"));
        Assert.DoesNotContain(logger.Collector.GetSnapshot(), r => r.Level >= LogLevel.Warning);
    }
}
