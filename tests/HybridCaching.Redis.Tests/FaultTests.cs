using System.Diagnostics;
using HybridCaching.Redis.Client;
using HybridCaching.Testing.Redis;
using Xunit.Abstractions;

namespace HybridCaching.Redis.Tests;

[Collection(RedisFaultCollection.Name)]
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
        await WaitUntilAsync(
            async () =>
            {
                await connection.ExecuteAsync("PUBLISH", "news", "again");
                return Volatile.Read(ref received) > 0;
            },
            "a message after the restart");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task DoAsync_RedisHung_RunsFactoryHereAndReturnsItsValue(bool hybrid)
    {
        await using var server = await RedisServerFixture.StartAsync(new RedisServerOptions { Private = true });
        var unobserved = 0;
        void OnUnobserved(object? sender, UnobservedTaskExceptionEventArgs e)
        {
            if (e.Exception.ToString().Contains("Redis", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref unobserved);
                output.WriteLine("unobserved: " + e.Exception);
            }
        }

        TaskScheduler.UnobservedTaskException += OnUnobserved;
        try
        {
            // The client's own command timeout (60 s) is far past waitFor: only the cache's bounds can save the calls.
            var options = RedisTestCache.Options(server);
            options.CommandTimeout = TimeSpan.FromSeconds(60);
            var cacheOptions = RedisTestCache.CacheOptions();
            cacheOptions.OperationTimeout = new RedisCacheOptions().OperationTimeout;
            var redis = new RedisCache(await RedisConnection.ConnectAsync(options), cacheOptions, ownsConnection: true);
            await using ICacheAdapter cache = hybrid ? new HybridCache(redis, new MemoryCache(10_000, 64 << 20, TimeSpan.FromMinutes(1))) : redis;
            var func = new CacheFunc(cache, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5));
            Assert.Equal("warm", await func.DoAsync("warm", _ => Task.FromResult("warm")));

            await server.PauseAsync();
            try
            {
                var calls = 0;
                for (var i = 0; i < 3; i++)
                {
                    var key = "k" + i;
                    var value = await func.DoAsync(key, async token =>
                    {
                        Interlocked.Increment(ref calls);
                        await Task.Delay(5, token);
                        return "v-" + key;
                    }).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
                    Assert.Equal("v-" + key, value);
                }

                Assert.Equal(3, calls);

                // Disposing fails the commands still waiting on the hung server: none of them may go unobserved.
                await cache.DisposeAsync();
            }
            finally
            {
                await server.ResumeAsync();
            }

            for (var i = 0; i < 3; i++)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                await Task.Delay(50);
            }

            Assert.Equal(0, Volatile.Read(ref unobserved));
        }
        finally
        {
            TaskScheduler.UnobservedTaskException -= OnUnobserved;
        }
    }

    [Fact]
    public async Task GetAsync_RedisHung_FailsFastAfterOneTimeoutAndRecoversWhenResumed()
    {
        await using var server = await RedisServerFixture.StartAsync(new RedisServerOptions { Private = true });
        var options = RedisTestCache.CacheOptions();
        options.OperationTimeout = TimeSpan.FromMilliseconds(200);
        await using var cache = new RedisCache(await RedisConnection.ConnectAsync(RedisTestCache.Options(server)), options, ownsConnection: true);

        await server.PauseAsync();
        try
        {
            await Assert.ThrowsAsync<TimeoutException>(async () => await cache.GetAsync("k"));

            // Known hung: the next call fails at once instead of waiting for its own timeout.
            var second = cache.GetAsync("k");
            Assert.True(second.IsCompleted);
            await Assert.ThrowsAsync<TimeoutException>(async () => await second);
        }
        finally
        {
            await server.ResumeAsync();
        }

        await WaitUntilAsync(
            async () =>
            {
                try
                {
                    await cache.GetAsync("k");
                    return true;
                }
                catch (TimeoutException)
                {
                    return false;
                }
            },
            "calls let through again after the server answers");
        await cache.SetAsync("k", "v"u8.ToArray(), TimeSpan.FromMinutes(1));
        Assert.Equal("v"u8.ToArray(), await cache.GetAsync("k"));
    }

    [Fact]
    public async Task DoAsync_LeaderCannotWriteItsResult_WaiterOnAnotherServerTakesOverInsteadOfTimingOut()
    {
        await using var server = await RedisServerFixture.StartAsync(new RedisServerOptions { Private = true });
        var scope = Guid.NewGuid().ToString("N")[..12];
        await using var admin = await RedisConnection.ConnectAsync(RedisTestCache.Options(server));

        // The leader's user may do everything but PSETEX: its result write is refused, as after a cut connection.
        await admin.ExecuteAsync("ACL", "SETUSER", "leader", "on", ">pw", "~*", "&*", "+@all", "-psetex");
        var leaderOptions = RedisTestCache.Options(server);
        leaderOptions.User = "leader";
        leaderOptions.Password = "pw";
        await using var leader = new RedisCache(await RedisConnection.ConnectAsync(leaderOptions), RedisTestCache.CacheOptions(scope), ownsConnection: true);
        await using var waiter = await RedisTestCache.CreateAsync(server, RedisTestCache.CacheOptions(scope));
        var waitFor = TimeSpan.FromSeconds(30);
        var leaderFunc = new CacheFunc(leader, waitFor, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5));
        var waiterFunc = new CacheFunc(waiter, waitFor, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5));

        var leaderStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var finishLeader = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var leading = leaderFunc.DoAsync("k", async _ =>
        {
            leaderStarted.SetResult();
            await finishLeader.Task;
            return "from-leader";
        }).AsTask();
        await leaderStarted.Task.WaitAsync(TimeSpan.FromSeconds(20));

        var waiterCalls = 0;
        var waiting = waiterFunc.DoAsync("k", _ =>
        {
            Interlocked.Increment(ref waiterCalls);
            return Task.FromResult("from-waiter");
        }).AsTask();
        await WaitUntilAsync(
            async () => (await admin.ExecuteAsync("PUBSUB", "NUMSUB", RedisTestCache.CacheOptions(scope).LockPrefix + "k")).Items[1].AsInt64() > 0,
            "the waiter subscribed");
        finishLeader.SetResult();

        Assert.Equal("from-leader", await leading.WaitAsync(TimeSpan.FromSeconds(20)));

        // Without the release the waiter would sit on the lock until waitFor (30 s) and time out; the guard is shorter.
        Assert.Equal("from-waiter", await waiting.WaitAsync(TimeSpan.FromSeconds(20)));
        Assert.Equal(1, waiterCalls);
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

    private static Task WaitUntilAsync(Func<bool> condition, string what) => WaitUntilAsync(() => Task.FromResult(condition()), what);

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(20), $"{what}: not within 20 s");
            await Task.Delay(10);
        }
    }
}
