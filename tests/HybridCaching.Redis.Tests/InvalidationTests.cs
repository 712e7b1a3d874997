using System.Diagnostics;
using HybridCaching.Testing.Redis;
using StackExchange.Redis;

namespace HybridCaching.Redis.Tests;

// Delete and Clear leave nothing behind that answers the next miss (issue 8, items 7, 8, 13).
[Collection(RedisCollection.Name)]
[Trait("Category", "Redis")]
public sealed class InvalidationTests(RedisServerFixture server)
{
    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public async Task DoAsync_AfterDeleteOrClear_RunsFactoryOnEveryServerAndReturnsNewValue(bool hybrid, bool clear)
    {
        var scope = Guid.NewGuid().ToString("N")[..12];
        await using var first = await ServerAsync(scope, hybrid);
        await using var second = await ServerAsync(scope, hybrid);
        await using var third = await ServerAsync(scope, hybrid);
        var waitFor = TimeSpan.FromSeconds(10);

        // freshFor 1 min: the race result stays under the lock key for 2 s after the run.
        Assert.Equal("v1", await Func(first).DoAsync("k", _ => Task.FromResult("v1")));
        if (clear)
        {
            await first.ClearAsync();
        }
        else
        {
            await first.DeleteAsync(["k"]);
        }

        var calls = 0;
        Task<string> V2(CancellationToken _)
        {
            Interlocked.Increment(ref calls);
            return Task.FromResult("v2");
        }

        Assert.Equal("v2", await Func(second).DoAsync("k", V2));
        Assert.Equal(1, calls);

        // The third server's miss reads the new value (or the new run's result), never the deleted one.
        Assert.Equal("v2", await Func(third).DoAsync("k", V2));
        Assert.Equal(1, calls);

        CacheFunc Func(ICacheAdapter cache) => new(cache, waitFor, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5));
    }

    [Fact]
    public async Task DeleteAndClear_LockHeldByRunningLeader_KeepTheLock()
    {
        var options = RedisTestCache.CacheOptions();
        await using var cache = await RedisTestCache.CreateAsync(server, options);
        var db = cache.Db();
        await db.StringSetAsync(options.LockKey("k"), "1", TimeSpan.FromMinutes(1));
        await db.StringSetAsync(options.LockKey("done"), Convert.FromHexString("81a3526573c40178"), TimeSpan.FromMinutes(1));

        await cache.DeleteAsync(["k", "done"]);
        Assert.Equal("1", (string?)await db.StringGetAsync(options.LockKey("k")));
        Assert.True((await db.StringGetAsync(options.LockKey("done"))).IsNull);

        await db.StringSetAsync(options.LockKey("done"), Convert.FromHexString("81a3526573c40178"), TimeSpan.FromMinutes(1));
        await cache.ClearAsync();
        Assert.Equal("1", (string?)await db.StringGetAsync(options.LockKey("k")));
        Assert.True((await db.StringGetAsync(options.LockKey("done"))).IsNull);
    }

    [Fact]
    public async Task ClearAsync_EmptyPrefix_ThrowsAndDeletesNothing()
    {
        var scope = Guid.NewGuid().ToString("N")[..12];
        var options = new RedisCacheOptions { Prefix = string.Empty, LockPrefix = $"!lock!{scope}:", OperationTimeout = TimeSpan.FromSeconds(10) };
        await using var cache = await RedisTestCache.CreateAsync(server, options);
        await cache.SetAsync(scope, "v"u8.ToArray(), TimeSpan.FromMinutes(1));
        options.AllowClearingWholeDatabase = true; // too late: the cache keeps the settings it was created with

        var error = await Assert.ThrowsAsync<InvalidOperationException>(async () => await cache.ClearAsync());

        Assert.Contains("Prefix", error.Message, StringComparison.Ordinal);
        Assert.Equal("v"u8.ToArray(), await cache.GetAsync(scope));
        Assert.True((await cache.Db().StringGetAsync($"!lock!{scope}:!clear!")).IsNull);
    }

    [Fact]
    public async Task ClearAsync_EmptyPrefixAllowed_DeletesEveryKeyButLiveLocks()
    {
        await using var own = await RedisServerFixture.StartAsync(new RedisServerOptions { Private = true });
        await using var cache = await RedisTestCache.CreateAsync(own, new RedisCacheOptions { AllowClearingWholeDatabase = true, OperationTimeout = TimeSpan.FromSeconds(10) });
        await cache.SetAsync("a", "v"u8.ToArray(), TimeSpan.FromMinutes(1));
        await cache.SetAsync("b", "v"u8.ToArray(), TimeSpan.FromMinutes(1));
        await cache.Db().StringSetAsync("!lock!held", "1", TimeSpan.FromMinutes(1));

        await cache.ClearAsync();

        Assert.Null(await cache.GetAsync("a"));
        Assert.Null(await cache.GetAsync("b"));
        Assert.Equal("1", (string?)await cache.Db().StringGetAsync("!lock!held"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ClearAsync_AcrossLanguages_LocksForTenMinutesAndLeavesGoEmptyResultFor300Ms(bool unprefixedLockKeys)
    {
        var options = RedisTestCache.CacheOptions();
        options.UnprefixedLockKeys = unprefixedLockKeys;
        await using var cache = await RedisTestCache.CreateAsync(server, options);

        // Go's Clear lock is LockPrefix + "!clear!"; by default ours carries the prefix like every lock key.
        var clearLock = unprefixedLockKeys ? options.LockPrefix + "!clear!" : options.LockPrefix + options.Prefix + "!clear!";
        using var monitor = await MonitorAsync(server);

        await cache.ClearAsync();

        // MONITOR shows each command as the server received it.
        await monitor.WaitForAsync($"\"SET\" \"{clearLock}\" \"1\" \"PX\" \"600000\" \"NX\"");
        await monitor.WaitForAsync($"\"PSETEX\" \"{clearLock}\" \"300\" \"\\x80\"");

        // A Go Clear that finished a moment ago suppresses ours: its result is read, nothing is deleted.
        await cache.SetAsync("kept", "v"u8.ToArray(), TimeSpan.FromMinutes(1));
        await cache.Db().StringSetAsync(clearLock, Convert.FromHexString("80"), TimeSpan.FromMinutes(1));
        await cache.ClearAsync();
        Assert.NotNull(await cache.GetAsync("kept"));
    }

    [Fact]
    public async Task Dispose_Synchronously_DisposesTheCache()
    {
        var cache = await RedisTestCache.CreateAsync(server);
        await cache.SetAsync("k", "v"u8.ToArray(), TimeSpan.FromMinutes(1));

        var disposable = Assert.IsAssignableFrom<IDisposable>(cache);
        disposable.Dispose();
        disposable.Dispose();

        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await cache.GetAsync("k"));
        await cache.DisposeAsync();
    }

    private async Task<ICacheAdapter> ServerAsync(string scope, bool hybrid)
    {
        var redis = await RedisTestCache.CreateAsync(server, RedisTestCache.CacheOptions(scope));
        return hybrid ? new HybridCache(redis, new MemoryCache(10_000, 64 << 20, TimeSpan.FromMinutes(1))) : redis;
    }

    private static async Task<CommandMonitor> MonitorAsync(RedisServerFixture server)
    {
        var monitor = new CommandMonitor(server);
        await monitor.WaitForAsync("OK");
        return monitor;
    }

    // redis-cli MONITOR, collecting its lines.
    private sealed class CommandMonitor : IDisposable
    {
        private readonly Process _process;
        private readonly List<string> _lines = [];

        public CommandMonitor(RedisServerFixture server)
        {
            var info = new ProcessStartInfo("redis-cli") { RedirectStandardOutput = true, UseShellExecute = false };
            foreach (var argument in new[] { "-h", server.Host, "-p", server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "MONITOR" })
            {
                info.ArgumentList.Add(argument);
            }

            _process = Process.Start(info)!;
            _process.OutputDataReceived += (_, e) =>
            {
                if (e.Data is not null)
                {
                    lock (_lines)
                    {
                        _lines.Add(e.Data);
                    }
                }
            };
            _process.BeginOutputReadLine();
        }

        public async Task WaitForAsync(string text)
        {
            bool Shown()
            {
                lock (_lines)
                {
                    return _lines.Any(line => line.Contains(text, StringComparison.Ordinal));
                }
            }

            try
            {
                await RedisCli.WaitUntilAsync(() => Task.FromResult(Shown()), $"MONITOR to show {text}", TimeSpan.FromSeconds(10));
            }
            catch (TimeoutException ex)
            {
                lock (_lines)
                {
                    throw new TimeoutException($"{ex.Message} It showed:\n{string.Join('\n', _lines)}", ex);
                }
            }
        }

        public void Dispose()
        {
            _process.Kill();
            _process.WaitForExit();
            _process.Dispose();
        }
    }
}
