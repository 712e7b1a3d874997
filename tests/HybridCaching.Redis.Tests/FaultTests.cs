using System.Diagnostics;
using HybridCaching.Testing.Redis;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace HybridCaching.Redis.Tests;

[Collection(RedisFaultCollection.Name)]
[Trait("Category", "Redis")]
public sealed class FaultTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task HybridDoAsync_RedisKilledMidTraffic_NoCallFailsAndRedisIsUsedAgainAfterRestart()
    {
        await using var server = await RedisServerFixture.StartAsync(new RedisServerOptions { Private = true });
        var cacheOptions = RedisTestCache.CacheOptions();
        cacheOptions.OperationTimeout = TimeSpan.FromSeconds(1);
        await using var redis = await RedisTestCache.CreateAsync(server, cacheOptions);
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
        Assert.False(redis.Multiplexer!.IsConnected);

        await server.RestartAsync();
        var restarted = Stopwatch.StartNew();
        var probe = 0;
        await WaitUntilAsync(
            async () =>
            {
                // Redis is used again: a value computed now reaches the restarted (empty) server.
                var key = "probe" + probe++;
                await func.DoAsync(key, _ => Task.FromResult("p"));
                return (await RedisCli.CommandAsync(server.Port, "GET", cacheOptions.Prefix + key)).Trim().Length > 0;
            },
            "Redis used again after the restart");

        output.WriteLine($"Redis used again {restarted.ElapsedMilliseconds} ms after the restart; {calls} calls in total");
        await stop.CancelAsync();
        await Task.WhenAll(workers);
        Assert.Empty(failures);
    }

    [Fact]
    public async Task DoAsync_ServerRestarted_WaitersAreWokenByPubSubAgain()
    {
        await using var server = await RedisServerFixture.StartAsync(new RedisServerOptions { Private = true });
        var scope = Guid.NewGuid().ToString("N")[..12];
        await using var leader = await RedisTestCache.CreateAsync(server, NeverPolling(scope));
        await using var waiter = await RedisTestCache.CreateAsync(server, NeverPolling(scope));

        await server.RestartAsync();
        await WaitUntilAsync(() => leader.Multiplexer!.IsConnected && waiter.Multiplexer!.IsConnected, "reconnect");

        Assert.Equal("v", await StampedeOfTwoAsync(server.Port, leader, waiter, RedisTestCache.CacheOptions(scope), "after-restart"));
    }

    [Theory]
    [InlineData(false, 500)]
    [InlineData(true, 500)]
    [InlineData(false, 10_000)]
    [InlineData(true, 10_000)]
    public async Task DoAsync_RedisHung_RunsFactoryHereAndReturnsItsValue(bool hybrid, int operationTimeoutMs)
    {
        await using var server = await RedisServerFixture.StartAsync(new RedisServerOptions { Private = true });
        var unobserved = 0;
        void OnUnobserved(object? sender, UnobservedTaskExceptionEventArgs e)
        {
            if (e.Exception.ToString().Contains("Redis", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref unobserved);
                output.WriteLine("unobserved: " + e.Exception.InnerException?.ToString());
            }
        }

        TaskScheduler.UnobservedTaskException += OnUnobserved;
        try
        {
            // The multiplexer's own timeouts (60 s) are far past waitFor: only the cache's bounds can save the calls. With
            // an OperationTimeout (10 s) past waitFor (1 s) too, only the bounds drawn from waitFor leave the factory its time.
            var configuration = RedisTestCache.Configuration(server);
            configuration.SyncTimeout = configuration.AsyncTimeout = 60_000;
            var cacheOptions = RedisTestCache.CacheOptions();
            cacheOptions.OperationTimeout = TimeSpan.FromMilliseconds(operationTimeoutMs);
            var redis = await RedisTestCache.CreateAsync(configuration, cacheOptions);
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
                    }).AsTask().WaitAsync(Guard);
                    Assert.Equal("v-" + key, value);
                }

                Assert.Equal(3, calls);

                // Disposing fails the commands still waiting on the hung server (none of them may go unobserved) and
                // does not wait for them: a hang guard well under the multiplexer's 60 s timeout (a backplane publish
                // held by the hung server kept a hybrid's disposal waiting for it).
                await cache.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(20));
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
        await using var cache = await RedisTestCache.CreateAsync(server, options);
        await cache.GetAsync("k");

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
                catch (Exception ex) when (ex is TimeoutException or RedisException)
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

        // The leader's user may do everything but PSETEX: its result write is refused, as after a cut connection.
        await RedisCli.CommandAsync(server.Port, "ACL", "SETUSER", "leader", "on", ">pw", "~*", "&*", "+@all", "-psetex");
        var leaderConfiguration = RedisTestCache.Configuration(server);
        leaderConfiguration.User = "leader";
        leaderConfiguration.Password = "pw";
        await using var leader = await RedisTestCache.CreateAsync(leaderConfiguration, RedisTestCache.CacheOptions(scope));
        await using var waiter = await RedisTestCache.CreateAsync(server, RedisTestCache.CacheOptions(scope));
        var waiterCalls = 0;

        // Without the release the waiter would sit on the lock until waitFor (60 s) and time out; the guard is shorter.
        var got = await StampedeOfTwoAsync(
            server.Port, leader, waiter, RedisTestCache.CacheOptions(scope), "k", waiterValue: () =>
            {
                Interlocked.Increment(ref waiterCalls);
                return "waiter ran";
            });

        Assert.Equal("waiter ran", got);
        Assert.Equal(1, waiterCalls);
    }

    [Fact]
    public async Task DoAsync_LeaderConnectionKilledBeforeItsResultWrite_WaiterGetsTheResultOrTakesOver()
    {
        await using var server = await RedisServerFixture.StartAsync(new RedisServerOptions { Private = true });
        var scope = Guid.NewGuid().ToString("N")[..12];
        var leaderConfiguration = RedisTestCache.Configuration(server);
        leaderConfiguration.ClientName = "leader-" + scope;
        await using var leader = await RedisTestCache.CreateAsync(leaderConfiguration, NeverPolling(scope));
        await using var waiter = await RedisTestCache.CreateAsync(server, NeverPolling(scope));

        // Cut every connection of the leader, then let it finish: its first write meets a broken or reconnecting link.
        var got = await StampedeOfTwoAsync(
            server.Port, leader, waiter, RedisTestCache.CacheOptions(scope), "k",
            beforeLeaderFinishes: () => RedisCli.CommandAsync(server.Port, "CLIENT", "KILL", "USER", "default", "SKIPME", "yes"));

        Assert.Contains(got, new[] { "v", "waiter ran" });
    }

    private static RedisCacheOptions NeverPolling(string scope)
    {
        var options = RedisTestCache.CacheOptions(scope);
        options.RetryDelay = _ => TimeSpan.FromHours(1);
        return options;
    }

    // A leader on one cache holds its run until a waiter on the other has subscribed to the lock (waitFor 60 s, longer
    // than the guard); then beforeLeaderFinishes runs and the leader returns "v". Returns what the waiter got.
    private static async Task<string> StampedeOfTwoAsync(
        int port, RedisCache leaderCache, RedisCache waiterCache, RedisCacheOptions options, string key, Func<Task>? beforeLeaderFinishes = null, Func<string>? waiterValue = null)
    {
        var waitFor = TimeSpan.FromSeconds(60);
        var leaderFunc = new CacheFunc(leaderCache, waitFor, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5));
        var waiterFunc = new CacheFunc(waiterCache, waitFor, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5));
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var finish = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var leading = leaderFunc.DoAsync(key, async _ =>
        {
            started.SetResult();
            await finish.Task;
            return "v";
        }).AsTask();
        await started.Task.WaitAsync(Guard);
        var waiting = waiterFunc.DoAsync(key, _ => Task.FromResult(waiterValue?.Invoke() ?? "waiter ran")).AsTask();
        await WaitForSubscriberAsync(port, options.LockKey(key));
        if (beforeLeaderFinishes is not null)
        {
            await beforeLeaderFinishes();
        }

        finish.SetResult();
        Assert.Equal("v", await leading.WaitAsync(Guard));
        return await waiting.WaitAsync(Guard);
    }

    private static Task WaitForSubscriberAsync(int port, string channel) => WaitUntilAsync(
        async () => (await RedisCli.CommandAsync(port, "PUBSUB", "NUMSUB", channel)).TrimEnd().EndsWith("\n1", StringComparison.Ordinal),
        "the waiter subscribed");

    private static Task WaitUntilAsync(Func<bool> condition, string what) => WaitUntilAsync(() => Task.FromResult(condition()), what);

    [Fact]
    public async Task GetAsync_FirstConnectionHangs_OnlyTheFirstCommandWaitsForIt()
    {
        // A listener that accepts connections and never answers: the multiplexer's first connection attempt hangs.
        var silent = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        silent.Start();
        try
        {
            int port = ((System.Net.IPEndPoint)silent.LocalEndpoint).Port;
            var configuration = ConfigurationOptions.Parse($"127.0.0.1:{port}");
            configuration.ConnectTimeout = 2_000; // outlasts the first command's 200 ms wait
            await using var cache = new RedisCache(configuration, new RedisCacheOptions { OperationTimeout = TimeSpan.FromMilliseconds(200) });

            var first = await Assert.ThrowsAsync<RedisConnectionException>(() => cache.GetAsync("k").AsTask());
            var second = cache.GetAsync("k");

            Assert.Contains("Still connecting", first.Message, StringComparison.Ordinal);
            Assert.True(second.IsCompleted, "the second command waited for the connection again");
            Assert.IsType<RedisConnectionException>(await Record.ExceptionAsync(() => second.AsTask()));
        }
        finally
        {
            silent.Stop();
        }
    }

    private static Task WaitUntilAsync(Func<Task<bool>> condition, string what) => RedisCli.WaitUntilAsync(condition, what, TimeSpan.FromSeconds(20));
}
