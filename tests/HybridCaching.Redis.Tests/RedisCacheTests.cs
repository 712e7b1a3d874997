using System.Diagnostics;
using System.Text;
using HybridCaching.Testing.Redis;
using StackExchange.Redis;

namespace HybridCaching.Redis.Tests;

[Collection(RedisCollection.Name)]
[Trait("Category", "Redis")]
public sealed class RedisCacheTests(RedisServerFixture server)
{
    private static byte[] Hex(string hex) => Convert.FromHexString(hex);

    [Fact]
    public async Task FetchAsync_StoredKey_ReturnsValueAndRemainingTtl()
    {
        await using var cache = await RedisTestCache.CreateAsync(server);
        await cache.SetAsync("k", "v"u8.ToArray(), TimeSpan.FromSeconds(30));

        var fetched = await cache.FetchAsync("k");
        var missing = await cache.FetchAsync("missing");

        Assert.Equal("v"u8.ToArray(), fetched.Value);
        Assert.InRange(fetched.TimeToLive, TimeSpan.FromSeconds(25), TimeSpan.FromSeconds(30));
        Assert.False(missing.Found);
    }

    [Fact]
    public async Task ClearAsync_OnlyRemovesOwnPrefixAndKeepsLockKeys()
    {
        var scope = Guid.NewGuid().ToString("N")[..12];
        var timeout = TimeSpan.FromSeconds(10);
        await using var mine = await RedisTestCache.CreateAsync(server, new RedisCacheOptions { Prefix = $"c:{scope}:*[a]:", LockPrefix = $"!lock!{scope}:", OperationTimeout = timeout });
        await using var other = await RedisTestCache.CreateAsync(server, new RedisCacheOptions { Prefix = $"c:{scope}:x", LockPrefix = $"!lock!{scope}:", OperationTimeout = timeout });
        for (var i = 0; i < 2500; i++)
        {
            await mine.SetAsync("k" + i, "v"u8.ToArray(), TimeSpan.FromMinutes(1));
        }

        await other.SetAsync("k", "v"u8.ToArray(), TimeSpan.FromMinutes(1));
        await mine.Db().StringSetAsync($"!lock!{scope}:held", "1", TimeSpan.FromMinutes(1));

        await Task.WhenAll(mine.ClearAsync().AsTask(), mine.ClearAsync().AsTask());

        Assert.Null(await mine.GetAsync("k0"));
        Assert.Null(await mine.GetAsync("k2499"));
        Assert.NotNull(await other.GetAsync("k"));
        Assert.Equal("1", (string?)await mine.Db().StringGetAsync($"!lock!{scope}:held"));
    }

    [Theory]
    [InlineData("x", null, "81a3526573c40178")]
    [InlineData(null, "boom", "81a3457272a4626f6f6d")]
    [InlineData(null, null, "80")]
    public async Task RaceAsync_LeaderResult_IsStoredInGoFormat(string? value, string? error, string expectedHex)
    {
        var options = RedisTestCache.CacheOptions();
        await using var cache = await RedisTestCache.CreateAsync(server, options);

        var run = cache.RaceAsync(
            "golden",
            _ => error is null
                ? Task.FromResult(new RaceResult(value is null ? null : Encoding.UTF8.GetBytes(value)))
                : Task.FromException<RaceResult>(new InvalidOperationException(error)),
            TimeSpan.FromSeconds(5),
            TimeSpan.FromSeconds(30));
        if (error is null)
        {
            await run;
        }
        else
        {
            await Assert.ThrowsAsync<InvalidOperationException>(() => run);
        }

        var stored = (byte[]?)await cache.Db().StringGetAsync(options.LockKey("golden"));
        Assert.Equal(expectedHex, Convert.ToHexString(stored!).ToLowerInvariant());
    }

    [Fact]
    public async Task RaceAsync_GoLeaderResults_AreReadWithoutRunningFn()
    {
        var options = RedisTestCache.CacheOptions();
        await using var cache = await RedisTestCache.CreateAsync(server, options);
        var vectors = new Dictionary<string, string>
        {
            ["res"] = "81a3526573c40178",
            ["nocache"] = "82a3526573c40178a3457272b568796272696463616368653a206e6f206361636865",
            ["err"] = "81a3457272a4626f6f6d",
            ["empty"] = "80",
            ["notfound"] = "81a3457272b668796272696463616368653a206e6f7420666f756e64",
        };
        foreach (var (key, hex) in vectors)
        {
            await cache.Db().StringSetAsync(options.LockKey(key), Hex(hex), TimeSpan.FromSeconds(30));
        }

        Task<RaceResult> Race(string key) => cache.RaceAsync(
            key, _ => throw new InvalidOperationException("fn must not run"), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(1));

        Assert.Equal(new RaceResult("x"u8.ToArray()).Value, (await Race("res")).Value);
        // Go's ErrNoCache: waiters get the value; storing it was the leader's decision.
        Assert.Equal("x"u8.ToArray(), (await Race("nocache")).Value);
        Assert.Equal("boom", (await Assert.ThrowsAsync<RemoteRaceException>(() => Race("err"))).Message);
        Assert.Null((await Race("empty")).Value);
        Assert.Null((await Race("notfound")).Value);
    }

    [Fact]
    public async Task DoBytesAsync_WritesGoPayloadFormat_AndReadsGoPayloadWithoutRunningFn()
    {
        var options = RedisTestCache.CacheOptions();
        await using var cache = await RedisTestCache.CreateAsync(server, options);
        var func = new CacheFunc(cache, TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5));

        Assert.Equal("b"u8.ToArray(), await func.DoBytesAsync("written", _ => Task.FromResult("b"u8.ToArray())));
        byte[]? raw = null;
        var deadline = Stopwatch.StartNew();
        while ((raw = (byte[]?)await cache.Db().StringGetAsync(options.Prefix + "written")) is null)
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(10), "the value was not stored");
            await Task.Delay(5);
        }

        // Same layout as the Go vector {BestBefore, Value: "b", V: 1}; only the timestamp differs.
        Assert.True(CachePayload.TryRead(raw, out var payload));
        Assert.Equal(CachePayload.Write(payload.BestBefore, "b"u8), raw);
        Assert.StartsWith("83aa426573744265666f7265", Convert.ToHexString(raw).ToLowerInvariant(), StringComparison.Ordinal);
        Assert.EndsWith("a556616c7565c40162a15601", Convert.ToHexString(raw).ToLowerInvariant(), StringComparison.Ordinal);

        // A payload as Go writes it (timestamp ext 32, fresh for an hour) is served without calling fn.
        var seconds = (uint)DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds();
        var goPayload = Hex($"83aa426573744265666f7265d6ff{seconds:x8}a556616c7565c40162a15601");
        await cache.Db().StringSetAsync(options.Prefix + "from-go", goPayload, TimeSpan.FromMinutes(1));
        Assert.Equal("b"u8.ToArray(), await func.DoBytesAsync("from-go", _ => throw new InvalidOperationException("fn must not run")));
    }

    [Fact]
    public async Task DoBytesAsync_GarbageStored_IsAMiss()
    {
        var options = RedisTestCache.CacheOptions();
        await using var cache = await RedisTestCache.CreateAsync(server, options);
        var func = new CacheFunc(cache, TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5));
        var random = new Random(42);
        for (var i = 0; i < 20; i++)
        {
            var garbage = new byte[random.Next(0, 64)];
            random.NextBytes(garbage);
            await cache.Db().StringSetAsync(options.Prefix + "g" + i, garbage, TimeSpan.FromMinutes(1));
            await cache.Db().StringSetAsync(options.LockKey("l" + i), garbage.Length == 1 ? [0xc1] : garbage, TimeSpan.FromMinutes(1));
        }

        for (var i = 0; i < 20; i++)
        {
            Assert.Equal("fresh"u8.ToArray(), await func.DoBytesAsync("g" + i, _ => Task.FromResult("fresh"u8.ToArray())));
            var raced = await cache.RaceAsync("l" + i, _ => Task.FromResult(new RaceResult("ran"u8.ToArray())), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(1));
            Assert.NotNull(raced.Value);
        }
    }

    [Fact]
    public async Task Operations_RedisDownAtStart_FailFastAndRaceRunsFnDirectly()
    {
        // Every timeout is far longer than the hang guard: a call that queued in a backlog instead of failing at once would
        // end in a timeout (or trip the guard), not in a connection error. The constructor does not throw either.
        var options = RedisTestCache.CacheOptions();
        options.OperationTimeout = TimeSpan.FromMinutes(1);
        await using var cache = new RedisCache("127.0.0.1:1,connectTimeout=2000,syncTimeout=60000,asyncTimeout=60000", options);
        var func = new CacheFunc(cache, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5));
        var guard = TimeSpan.FromSeconds(20);

        await Assert.ThrowsAsync<RedisConnectionException>(() => cache.GetAsync("k").AsTask().WaitAsync(guard));
        await Assert.ThrowsAsync<RedisConnectionException>(() => cache.FetchAsync("k").AsTask().WaitAsync(guard));
        await Assert.ThrowsAsync<RedisConnectionException>(() => cache.SetAsync("k", [1], TimeSpan.FromSeconds(1)).AsTask().WaitAsync(guard));
        var raced = await cache.RaceAsync("k", _ => Task.FromResult(new RaceResult([7])), TimeSpan.FromMinutes(1), TimeSpan.FromSeconds(1)).WaitAsync(guard);
        var done = await func.DoAsync("k", _ => Task.FromResult("value")).AsTask().WaitAsync(guard);

        Assert.Equal([7], raced.Value);
        Assert.Equal("value", done);
    }

    [Fact]
    public async Task Operations_SharedMultiplexerWithDefaultBacklogAndRedisDown_FailFastInsteadOfQueueing()
    {
        // The app's multiplexer queues commands while disconnected (the library's default policy, 60 s timeouts): the cache
        // must not wait in that queue.
        await using var own = await RedisServerFixture.StartAsync(new RedisServerOptions { Private = true });
        var configuration = RedisTestCache.Configuration(own);
        configuration.BacklogPolicy = BacklogPolicy.Default;
        configuration.SyncTimeout = configuration.AsyncTimeout = 60_000;
        await using var multiplexer = await ConnectionMultiplexer.ConnectAsync(configuration);
        var options = RedisTestCache.CacheOptions();
        options.OperationTimeout = TimeSpan.FromMinutes(1);
        await using var cache = new RedisCache(multiplexer, options);
        await cache.SetAsync("k", "v"u8.ToArray(), TimeSpan.FromMinutes(1));

        await own.KillAsync();
        await RedisCli.WaitUntilAsync(() => Task.FromResult(!multiplexer.IsConnected), "the multiplexer to notice the kill", TimeSpan.FromSeconds(20));

        var guard = TimeSpan.FromSeconds(20);
        await Assert.ThrowsAsync<RedisConnectionException>(() => cache.GetAsync("k").AsTask().WaitAsync(guard));
        var raced = await cache.RaceAsync("k", _ => Task.FromResult(new RaceResult([7])), TimeSpan.FromMinutes(1), TimeSpan.FromSeconds(1)).WaitAsync(guard);
        Assert.Equal([7], raced.Value);
    }

    [Fact]
    public void Constructor_ConfigurationStringOfUnreachableServer_DoesNotThrow()
    {
        using var cache = new RedisCache("127.0.0.1:1,connectTimeout=500");

        Assert.Null(cache.Multiplexer is { IsConnected: true } ? cache.Multiplexer : null);
    }
}
