using System.Diagnostics;
using HybridCaching.Redis.Client;
using HybridCaching.Testing.Redis;
using Xunit.Abstractions;

namespace HybridCaching.Redis.Tests;

[Trait("Category", "Redis")]
public sealed class FaultTests(ITestOutputHelper output)
{
    [Fact]
    public async Task HybridDoAsync_RedisKilledMidTraffic_NoCallFailsAndRedisIsUsedAgainAfterRestart()
    {
        await using var server = await RedisServerFixture.StartAsync(new RedisServerOptions { Private = true });
        var options = RedisTestCache.Options(server);
        options.CommandTimeout = TimeSpan.FromSeconds(1);
        var cacheOptions = RedisTestCache.CacheOptions();
        await using var redis = new RedisCache(await RedisConnection.ConnectAsync(options), cacheOptions, ownsConnection: true);
        await using var hybrid = new HybridCache(redis, new MemoryCache(10_000, 64 << 20, TimeSpan.FromSeconds(1)));
        var func = new CacheFunc(hybrid, TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(30));

        var failures = new List<Exception>();
        var calls = 0;
        using var stop = new CancellationTokenSource();
        var workers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            var i = 0;
            while (!stop.IsCancellationRequested)
            {
                var key = "k" + (i++ % 20);
                try
                {
                    var value = await func.DoAsync(key, async token =>
                    {
                        await Task.Delay(2, token);
                        return "v-" + key;
                    });
                    Assert.Equal("v-" + key, value);
                    Interlocked.Increment(ref calls);
                    await Task.Delay(1);
                }
                catch (Exception ex)
                {
                    lock (failures)
                    {
                        failures.Add(ex);
                    }
                }
            }
        })).ToArray();

        await WaitUntilAsync(() => Volatile.Read(ref calls) > 500, "traffic before the kill");
        await server.KillAsync();
        var killedAt = Volatile.Read(ref calls);
        var down = Stopwatch.StartNew();

        // Long enough for the memory copies (max TTL 1 s) to expire: misses then go through the failing Redis.
        await WaitUntilAsync(() => Volatile.Read(ref calls) > killedAt + 500 && down.Elapsed > TimeSpan.FromSeconds(1.5), "traffic while Redis is down");
        Assert.False(redis.Connection.IsConnected);

        await server.RestartAsync();
        var restarted = Stopwatch.StartNew();
        var probe = 0;
        while (true)
        {
            // Redis is used again: a value computed now reaches the restarted (empty) server.
            var key = "probe" + probe++;
            await func.DoAsync(key, _ => Task.FromResult("p"));
            var stored = await RawGetAsync(server, cacheOptions.Prefix + key);
            if (stored is not null)
            {
                break;
            }

            Assert.True(restarted.Elapsed < TimeSpan.FromSeconds(10), "Redis was not used again within 10 s of the restart");
            await Task.Delay(20);
        }

        output.WriteLine($"Redis used again {restarted.ElapsedMilliseconds} ms after the restart; {calls} calls in total");
        await stop.CancelAsync();
        await Task.WhenAll(workers);
        Assert.Empty(failures);
    }

    [Fact]
    public async Task Subscriber_ServerRestarted_ResubscribesAndDeliversAgain()
    {
        await using var server = await RedisServerFixture.StartAsync(new RedisServerOptions { Private = true });
        await using var connection = await RedisConnection.ConnectAsync(RedisTestCache.Options(server));
        var received = 0;
        await using var subscription = await connection.Subscriber.SubscribeAsync("news", _ => Interlocked.Increment(ref received));

        await server.RestartAsync();
        await WaitUntilAsync(() => connection.IsConnected && connection.Subscriber.IsConnected, "reconnect");
        await WaitUntilAsync(() =>
        {
            _ = connection.ExecuteAsync("PUBLISH", "news", "again");
            return Volatile.Read(ref received) > 0;
        }, "a message after the restart");
    }

    private static async Task<byte[]?> RawGetAsync(RedisServerFixture server, string key)
    {
        try
        {
            await using var connection = await RedisConnection.ConnectAsync(new RedisConnectionOptions { Host = server.Host, Port = server.Port });
            return (await connection.ExecuteAsync("GET", key)).AsBytes();
        }
        catch (RedisConnectionException)
        {
            return null;
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(20), $"{what}: not within 20 s");
            await Task.Delay(10);
        }
    }
}
