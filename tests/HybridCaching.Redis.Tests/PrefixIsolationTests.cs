using HybridCaching.Testing.Redis;

namespace HybridCaching.Redis.Tests;

// Caches told apart only by their Prefix on one Redis never see each other's values, race results or keys (issue 19,
// items 1 and 2).
[Collection(RedisCollection.Name)]
[Trait("Category", "Redis")]
public sealed class PrefixIsolationTests(RedisServerFixture server)
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(20);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task DoAsync_SameKeyUnderTwoPrefixesOneAfterTheOther_EachGetsItsOwnValue(bool hybrid)
    {
        var key = "k-" + Guid.NewGuid().ToString("N");
        await using var tenantA = await CacheAsync("tenantA:", hybrid);
        await using var tenantB = await CacheAsync("tenantB:", hybrid);

        // The run for tenant A leaves its result under its lock key for 2 s (freshFor 1 min); B's miss comes right after.
        Assert.Equal("a", await Func(tenantA).DoAsync(key, _ => Task.FromResult("a")));
        Assert.Equal("b", await Func(tenantB).DoAsync(key, _ => Task.FromResult("b")));
        Assert.Equal("a", await Func(tenantA).DoAsync(key, _ => Task.FromResult("a again")));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task DoAsync_SameKeyUnderTwoPrefixesAtOnce_NeitherWaitsForTheOthersRun(bool hybrid)
    {
        var key = "k-" + Guid.NewGuid().ToString("N");
        await using var tenantA = await CacheAsync("tenantA:", hybrid);
        await using var tenantB = await CacheAsync("tenantB:", hybrid);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var runningA = Func(tenantA).DoAsync(key, async _ =>
        {
            started.SetResult();
            await release.Task;
            return "a";
        }).AsTask();
        await started.Task.WaitAsync(Guard);

        // A's run holds its lock until B is done: B must not wait for it (waitFor 60 s, longer than the guard).
        Assert.Equal("b", await Func(tenantB).DoAsync(key, _ => Task.FromResult("b")).AsTask().WaitAsync(Guard));
        release.SetResult();
        Assert.Equal("a", await runningA.WaitAsync(Guard));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task RaceAsync_LockKey_CarriesThePrefixUnlessUnprefixedLockKeys(bool unprefixedLockKeys)
    {
        var scope = Guid.NewGuid().ToString("N")[..12];
        var options = new RedisCacheOptions
        {
            Prefix = $"t:{scope}:", LockPrefix = $"!lock!{scope}:", UnprefixedLockKeys = unprefixedLockKeys, OperationTimeout = TimeSpan.FromSeconds(10),
        };
        await using var cache = await RedisTestCache.CreateAsync(server, options);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var running = cache.RaceAsync(
            "k",
            async _ =>
            {
                started.SetResult();
                await release.Task;
                return new RaceResult("x"u8.ToArray());
            },
            TimeSpan.FromSeconds(60),
            TimeSpan.FromSeconds(30));
        await started.Task.WaitAsync(Guard);

        // SPEC §6: LockPrefix + Prefix + key; Go's LockPrefix + key with the setting (the same key when the prefix is empty).
        var lockKey = unprefixedLockKeys ? $"!lock!{scope}:k" : $"!lock!{scope}:t:{scope}:k";
        var otherForm = unprefixedLockKeys ? $"!lock!{scope}:t:{scope}:k" : $"!lock!{scope}:k";
        Assert.Equal("1", (await RedisCli.CommandAsync(server.Port, "GET", lockKey)).Trim());
        Assert.Equal("0", (await RedisCli.CommandAsync(server.Port, "EXISTS", otherForm)).Trim());
        release.SetResult();
        await running.WaitAsync(Guard);
    }

    [Fact]
    public async Task ClearAsync_PrefixEndingInALetterOrDigit_ThrowsAndDeletesNothing()
    {
        var scope = Guid.NewGuid().ToString("N")[..12];
        await using var tenant1 = await RedisTestCache.CreateAsync(server, Options($"c:{scope}:tenant1"));
        await using var tenant10 = await RedisTestCache.CreateAsync(server, Options($"c:{scope}:tenant10:"));
        await tenant1.SetAsync("k", "1"u8.ToArray(), TimeSpan.FromMinutes(1));
        await tenant10.SetAsync("k", "10"u8.ToArray(), TimeSpan.FromMinutes(1));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(async () => await tenant1.ClearAsync());

        Assert.Contains("separator", error.Message, StringComparison.Ordinal);
        Assert.Equal("1"u8.ToArray(), await tenant1.GetAsync("k"));
        Assert.Equal("10"u8.ToArray(), await tenant10.GetAsync("k"));
    }

    [Fact]
    public async Task ClearAsync_PrefixEndingInASeparator_KeepsThePrefixThatOnlySharesItsStart()
    {
        var scope = Guid.NewGuid().ToString("N")[..12];
        await using var tenant1 = await RedisTestCache.CreateAsync(server, Options($"c:{scope}:tenant1:"));
        await using var tenant10 = await RedisTestCache.CreateAsync(server, Options($"c:{scope}:tenant10:"));
        await tenant1.SetAsync("k", "1"u8.ToArray(), TimeSpan.FromMinutes(1));
        await tenant10.SetAsync("k", "10"u8.ToArray(), TimeSpan.FromMinutes(1));

        await tenant1.ClearAsync();

        Assert.Null(await tenant1.GetAsync("k"));
        Assert.Equal("10"u8.ToArray(), await tenant10.GetAsync("k"));
    }

    private static RedisCacheOptions Options(string prefix) => new() { Prefix = prefix, OperationTimeout = TimeSpan.FromSeconds(10) };

    private static CacheFunc Func(ICacheAdapter cache) => new(cache, TimeSpan.FromSeconds(60), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5));

    // The default LockPrefix, shared by both tenants as it would be in production.
    private async Task<ICacheAdapter> CacheAsync(string prefix, bool hybrid)
    {
        var redis = await RedisTestCache.CreateAsync(server, Options(prefix));
        return hybrid ? new HybridCache(redis, new MemoryCache(10_000, 64 << 20, TimeSpan.FromMinutes(1))) : redis;
    }
}
