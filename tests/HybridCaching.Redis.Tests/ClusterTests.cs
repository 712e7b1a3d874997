using System.Collections.Concurrent;
using System.Diagnostics;
using HybridCaching.Redis.Tests.Fixtures;
using HybridCaching.Testing;
using HybridCaching.Testing.Redis;
using Xunit.Abstractions;

namespace HybridCaching.Redis.Tests;

/// <summary>RedisCache on a local Redis Cluster (3 primaries + 3 replicas): keys in every slot, multi-slot Delete, Clear
/// on every primary, the lock protocol and sharded pub/sub wake-up across nodes, and traffic through a primary kill and a
/// reshard. Figures go to the test output, never into assertions.</summary>
[Collection(ClusterCollection.Name)]
[Trait("Category", "Redis")]
public sealed class ClusterTests(RedisClusterFixture cluster, ITestOutputHelper output)
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task SetGetDelete_KeysOnEveryPrimary_RoundTripAndMultiSlotDeleteRemovesAll()
    {
        await cluster.WaitForHealthyAsync();
        var options = RedisTestCache.CacheOptions();
        await using var cache = await CreateAsync(options);
        var keys = await KeysOnEveryPrimaryAsync(options.Prefix, perPrimary: 20);

        foreach (var key in keys)
        {
            await cache.SetAsync(key, System.Text.Encoding.UTF8.GetBytes("v-" + key), TimeSpan.FromMinutes(5));
        }

        foreach (var key in keys)
        {
            Assert.Equal(System.Text.Encoding.UTF8.GetBytes("v-" + key), await cache.GetAsync(key));
            var fetched = await cache.FetchAsync(key);
            Assert.True(fetched.Found);
        }

        // One DEL across slots is refused by Redis (CROSSSLOT): the cache splits it.
        await cache.DeleteAsync(keys);
        foreach (var key in keys)
        {
            Assert.Null(await cache.GetAsync(key));
        }
    }

    [Fact]
    public async Task ClearAsync_KeysOnEveryPrimary_RemovesOwnKeysAndRaceResultsOnly()
    {
        await cluster.WaitForHealthyAsync();
        var scope = Guid.NewGuid().ToString("N")[..12];
        var options = RedisTestCache.CacheOptions(scope);
        await using var cache = await CreateAsync(options);
        await using var other = await CreateAsync(RedisTestCache.CacheOptions());
        var keys = await KeysOnEveryPrimaryAsync(options.Prefix, perPrimary: 50);
        foreach (var key in keys)
        {
            await cache.SetAsync(key, "v"u8.ToArray(), TimeSpan.FromMinutes(5));
        }

        await other.SetAsync("survivor", "v"u8.ToArray(), TimeSpan.FromMinutes(5));
        var db = cache.Db();
        await db.StringSetAsync(options.LockKey("live"), "1", TimeSpan.FromMinutes(1));
        await db.StringSetAsync(options.LockKey("done"), Convert.FromHexString("81a3526573c40178"), TimeSpan.FromMinutes(1));

        await cache.ClearAsync();

        foreach (var key in keys)
        {
            Assert.Null(await cache.GetAsync(key));
        }

        Assert.NotNull(await other.GetAsync("survivor"));
        Assert.Equal("1", (string?)await db.StringGetAsync(options.LockKey("live")));
        Assert.True((await db.StringGetAsync(options.LockKey("done"))).IsNull);
    }

    [Fact]
    public async Task DoAsync_ThreeServersOnClusterStampede_OneFactoryPerKeyAndWaitersWokenBySharedPubSub()
    {
        await cluster.WaitForHealthyAsync();
        var scope = Guid.NewGuid().ToString("N")[..12];
        var caches = new List<RedisCache>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                var options = RedisTestCache.CacheOptions(scope);

                // No polling within waitFor: only the leaders' sharded notifications can wake the waiters.
                options.RetryDelay = _ => TimeSpan.FromHours(1);
                caches.Add(await CreateAsync(options));
            }

            var calls = new ConcurrentDictionary<string, int>();
            var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var runs = new List<Task>();
            foreach (var cache in caches)
            {
                var func = new CacheFunc(cache, TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5));
                for (var c = 0; c < 20; c++)
                {
                    var key = "k" + (c % 5);
                    runs.Add(Task.Run(async () =>
                    {
                        await start.Task;
                        var value = await func.DoAsync(key, async token =>
                        {
                            calls.AddOrUpdate(key, 1, (_, n) => n + 1);
                            await Task.Delay(200, token);
                            return "v-" + key;
                        });
                        Assert.Equal("v-" + key, value);
                    }));
                }
            }

            start.SetResult();
            await Task.WhenAll(runs).WaitAsync(Guard);

            Assert.Equal(5, calls.Count);
            Assert.All(calls, pair => Assert.Equal(1, pair.Value));
        }
        finally
        {
            foreach (var cache in caches)
            {
                await cache.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task HybridDoAsync_PrimaryKilledMidTraffic_NoFailedOrWrongCallsAndWritesSucceedAfterPromotion()
    {
        await cluster.WaitForHealthyAsync();
        var options = RedisTestCache.CacheOptions();
        options.OperationTimeout = TimeSpan.FromSeconds(1);
        await using var redis = await CreateAsync(options);
        await using var hybrid = new HybridCache(redis, new MemoryCache(10_000, 64 << 20, TimeSpan.FromMilliseconds(500)));
        var func = new CacheFunc(hybrid, TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(200), TimeSpan.FromMinutes(5));
        var victim = (await cluster.GetPrimariesAsync())[1];
        var slot = victim.Slots[10];
        var keys = Enumerable.Range(0, 30).Select(i => HashTaggedKey(options.Prefix, i % 3 == 0 ? slot : (i * 541) % RedisHashSlot.Count, i)).ToArray();
        var sinceKill = new Stopwatch();

        var run = await ChaosRun.RunAsync(
            async (caller, i, _) =>
            {
                var key = keys[(int)((i + caller) % keys.Length)];
                var value = await func.DoAsync(key, async token =>
                {
                    await Task.Delay(1, token);
                    return "v-" + key;
                });
                Assert.Equal("v-" + key, value);
            },
            async () =>
            {
                await cluster.KillPrimaryAsync(slot);
                sinceKill.Start();
                return await cluster.WaitForPromotionAsync(victim);
            },
            new ChaosOptions { Callers = 8 });

        var probe = HashTaggedKey(options.Prefix, slot, 999);
        await RedisCli.WaitUntilAsync(
            async () =>
            {
                try
                {
                    await redis.SetAsync(probe, "after"u8.ToArray(), TimeSpan.FromMinutes(5));
                    return true;
                }
                catch (Exception ex) when (ex is StackExchange.Redis.RedisException or TimeoutException)
                {
                    return false;
                }
            },
            "a cache write to the killed primary's slot",
            Guard);
        output.WriteLine($"kill → promotion: {run.ActionElapsed.TotalMilliseconds:F0} ms; kill → first RedisCache write to that slot: {sinceKill.ElapsedMilliseconds} ms; {run}");
        await cluster.RestartNodeAsync(victim);

        Assert.Equal(0, run.Failures);
        Assert.True(run.SuccessesByPhase[(int)ChaosPhase.During] > 0, run.ToString());
        Assert.Equal("after"u8.ToArray(), await redis.GetAsync(probe));
    }

    [Fact]
    public async Task HybridDoAsync_ReshardMidTraffic_NoFailedOrWrongCalls()
    {
        await cluster.WaitForHealthyAsync();
        var options = RedisTestCache.CacheOptions();
        await using var redis = await CreateAsync(options);
        await using var hybrid = new HybridCache(redis, new MemoryCache(10_000, 64 << 20, TimeSpan.FromMilliseconds(200)));
        var func = new CacheFunc(hybrid, TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(5));
        var primaries = await cluster.GetPrimariesAsync();
        var (from, to) = (primaries[0], primaries[2]);
        var slots = RedisClusterFixture.SlotsToMove(from, 20);
        var keys = slots.Select((slot, i) => HashTaggedKey(options.Prefix, slot, i)).ToArray();

        var run = await ChaosRun.RunAsync(
            async (caller, i, _) =>
            {
                var key = keys[(int)((i + caller) % keys.Length)];
                var value = await func.DoAsync(key, _ => Task.FromResult("v-" + key));
                Assert.Equal("v-" + key, value);
            },
            () => cluster.ReshardAsync(from, to, slots.Count),
            new ChaosOptions { Callers = 4 });

        output.WriteLine($"reshard of {slots.Count} slots from {from.EndPoint} to {to.EndPoint}: {run}");
        Assert.Equal(0, run.Failures);
        Assert.True(run.SuccessesByPhase[(int)ChaosPhase.During] > 0, run.ToString());
    }

    // A cache key whose value key (prefix + key) hashes to the given slot: the prefix has no braces, so the key's own
    // hash tag decides.
    internal static string HashTaggedKey(string prefix, int slot, int i)
    {
        var key = RedisHashSlot.KeyIn(slot, ":" + i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(slot, RedisHashSlot.Of(prefix + key));
        return key;
    }

    private async Task<IReadOnlyList<string>> KeysOnEveryPrimaryAsync(string prefix, int perPrimary)
    {
        var keys = new List<string>();
        foreach (var primary in await cluster.GetPrimariesAsync())
        {
            for (var i = 0; i < perPrimary; i++)
            {
                var slot = primary.Slots[i * primary.Slots.Count / perPrimary];
                keys.Add(HashTaggedKey(prefix, slot, i));
            }
        }

        return keys;
    }

    private Task<RedisCache> CreateAsync(RedisCacheOptions options)
        => RedisTestCache.CreateAsync(RedisTestCache.Configuration(cluster.ConfigurationString), options);
}
