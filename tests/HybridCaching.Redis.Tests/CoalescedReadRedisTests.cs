using System.Globalization;
using HybridCaching.Testing.Redis;

namespace HybridCaching.Redis.Tests;

/// <summary>Issue 23's goal, counted by Redis itself: 64 concurrent Redis-only hits on one key in one process make at most
/// 2 GETs (one shared round trip), read from <c>INFO commandstats</c>.</summary>
[Collection(RedisCollection.Name)]
[Trait("Category", "Redis")]
public sealed class CoalescedReadRedisTests(RedisServerFixture server)
{
    private const int Callers = 64;

    // GETs (or another command) a redis-server has run, from its INFO commandstats.
    internal static async Task<long> GetCallsAsync(int port, string command = "get")
    {
        var stats = RedisCli.ParseInfo(await RedisCli.CommandAsync(port, "INFO", "commandstats"));
        return stats.TryGetValue("cmdstat_" + command, out var line)
            ? long.Parse(line.Split(',')[0]["calls=".Length..], CultureInfo.InvariantCulture)
            : 0;
    }

    // 64 concurrent calls on key while the server at port holds its clients' commands for a second (CLIENT UNPAUSE would
    // wait for the pause too), far longer than starting them takes, so all start while the first read is pending; without
    // coalescing each would send its own. Every caller gets expected; onFactory counts factory runs.
    internal static async Task HitWhilePausedAsync(int port, CacheFunc func, string key, string expected, Action onFactory)
    {
        await RedisCli.CommandAsync(port, "CLIENT", "PAUSE", "1000");
        var calls = Enumerable.Range(0, Callers)
            .Select(_ => func.DoAsync(key, _ => { onFactory(); return Task.FromResult("other"); }).AsTask())
            .ToList();
        var values = await Task.WhenAll(calls).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.All(values, value => Assert.Equal(expected, value));
    }

    [Fact]
    public async Task DoAsync_SixtyFourConcurrentHitsOnOneKey_AtMostTwoGetsReachRedis()
    {
        await using var cache = await RedisTestCache.CreateAsync(server);
        var func = new CacheFunc(cache, new CacheFuncOptions { WaitFor = TimeSpan.FromSeconds(20) });
        var runs = 0;
        Assert.Equal("v", await func.DoAsync("hot", _ => { runs++; return Task.FromResult("v"); }));
        var before = await GetCallsAsync(server.Port);

        await HitWhilePausedAsync(server.Port, func, "hot", "v", () => runs++);

        Assert.Equal(1, runs);
        Assert.InRange(await GetCallsAsync(server.Port) - before, 1, 2);
    }

    [Fact]
    public async Task DoAsync_SixtyFourConcurrentHitsOnHybridWithMemoryCold_ShareOneUpstreamRead()
    {
        // The value is in Redis (written by a Redis-only function: another server, say), not in this memory level.
        await using var cache = await RedisTestCache.CreateAsync(server);
        Assert.Equal("v", await new CacheFunc(cache, new CacheFuncOptions { WaitFor = TimeSpan.FromSeconds(20) }).DoAsync("hot-hybrid", _ => Task.FromResult("v")));
        await using var hybrid = new HybridCache(cache, new MemoryCache(1_000, 1 << 20, TimeSpan.FromMinutes(5)));
        var func = new CacheFunc(hybrid, new CacheFuncOptions { WaitFor = TimeSpan.FromSeconds(20) });
        var runs = 0;
        var before = await GetCallsAsync(server.Port);

        await HitWhilePausedAsync(server.Port, func, "hot-hybrid", "v", () => runs++);

        Assert.Equal(0, runs);
        Assert.InRange(await GetCallsAsync(server.Port) - before, 1, 2);
    }
}
