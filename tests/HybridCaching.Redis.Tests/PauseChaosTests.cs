using HybridCaching.Testing;
using HybridCaching.Testing.Redis;
using Xunit.Abstractions;

namespace HybridCaching.Redis.Tests;

/// <summary>The chaos run of two servers on one Redis, with Redis pausing its writers (<c>CLIENT PAUSE … WRITE</c>) again
/// and again: lock attempts stall past the operation timeout, reach Redis after their callers gave up, and must not leave
/// locks that make the other server's misses wait out waitFor.</summary>
[Collection(RedisFaultCollection.Name)]
[Trait("Category", "Redis")]
public sealed class PauseChaosTests(ITestOutputHelper output)
{
    [Fact]
    public async Task HybridDoAsync_RepeatedClientPauseWrite_NoFailedOrWrongCalls()
    {
        await using var server = await RedisServerFixture.StartAsync(new RedisServerOptions { Private = true });
        var scope = Guid.NewGuid().ToString("N")[..12];
        var funcs = new List<CacheFunc>();
        var caches = new List<IAsyncDisposable>();
        for (var i = 0; i < 2; i++)
        {
            var options = RedisTestCache.CacheOptions(scope);
            options.OperationTimeout = TimeSpan.FromMilliseconds(500);
            var redis = await RedisTestCache.CreateAsync(server, options);

            // Memory copies and Redis entries expire quickly, so misses keep going through the paused Redis.
            var hybrid = new HybridCache(redis, new MemoryCache(10_000, 64 << 20, TimeSpan.FromMilliseconds(300)));
            caches.Add(hybrid);
            funcs.Add(new CacheFunc(hybrid, TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(1)));
        }

        try
        {
            var keys = Enumerable.Range(0, 20).Select(i => "k" + i).ToArray();
            var run = await ChaosRun.RunAsync(
                async (caller, i, _) =>
                {
                    var key = keys[(int)((i * 7 + caller) % keys.Length)];
                    if (i % 10 == 9)
                    {
                        // The next miss on the key goes to the race. A removal may fail while writes are paused: only
                        // DoAsync calls are counted.
                        try
                        {
                            await funcs[caller % funcs.Count].RemoveAsync(key);
                        }
                        catch (Exception ex) when (ex is StackExchange.Redis.RedisException or TimeoutException)
                        {
                        }

                        return;
                    }

                    var value = await funcs[caller % funcs.Count].DoAsync(key, async token =>
                    {
                        await Task.Delay(5, token);
                        return "v-" + key;
                    });
                    Assert.Equal("v-" + key, value);
                },
                async () =>
                {
                    for (var round = 0; round < 4; round++)
                    {
                        await RedisCli.CommandAsync(server.Port, "CLIENT", "PAUSE", "1200", "WRITE");
                        await Task.Delay(TimeSpan.FromSeconds(2.5));
                    }
                },
                new ChaosOptions
                {
                    Callers = 8,
                    After = TimeSpan.FromSeconds(3),
                    CallInterval = TimeSpan.FromMilliseconds(1),

                    // A hang guard, not a latency bound: the factory takes 5 ms and Redis pauses 1.2 s at a time, so a
                    // call still waiting after 5 s waits on a lock nobody will release (waitFor is 10 s).
                    CallTimeout = TimeSpan.FromSeconds(5),
                });

            output.WriteLine(run.ToString());
            Assert.Equal(0, run.Failures);
            Assert.True(run.SuccessesByPhase[(int)ChaosPhase.During] > 0, run.ToString());
        }
        finally
        {
            foreach (var cache in caches)
            {
                await cache.DisposeAsync();
            }
        }
    }
}
