using System.Security.Cryptography;
using HybridCaching.Redis.Tests.Fixtures;
using HybridCaching.Serialization;
using HybridCaching.Testing.Redis;
using StackExchange.Redis;

namespace HybridCaching.Redis.Tests;

/// <summary>Two (or more) HybridCache instances over one real redis-server keep their memory levels coherent through the
/// backplane (issue 13). Every wait is a poll with a generous guard; nothing asserts elapsed time.</summary>
[Collection(RedisCollection.Name)]
[Trait("Category", "Redis")]
public sealed class BackplaneTests(RedisServerFixture server)
{
    [Theory]
    [InlineData("set")]
    [InlineData("delete")]
    [InlineData("clear")]
    [InlineData("factory")]
    [InlineData("refresh")]
    public async Task WriteOnA_BackplaneOn_NextReadOnBSeesIt(string operation)
    {
        var options = RedisTestCache.CacheOptions();
        await using var a = await Instance.StartAsync(RedisTestCache.Configuration(server), options);
        await using var b = await Instance.StartAsync(RedisTestCache.Configuration(server), options);
        var freshForA = operation == "refresh" ? TimeSpan.FromMilliseconds(200) : TimeSpan.FromMinutes(1);
        var funcA = new CacheFunc(a.Hybrid, TimeSpan.FromSeconds(10), freshForA, TimeSpan.FromMinutes(5));
        var funcB = new CacheFunc(b.Hybrid, TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5));

        Assert.Equal("v1", await funcA.DoAsync("k", _ => Task.FromResult("v1")));
        await WaitUntilAsync(async () => await a.Redis.GetAsync("k") is not null, "A's write reached Redis");

        // B copies a fetched value into memory only when no announcement arrived during the fetch: wait for A's.
        await WaitUntilAsync(() => Task.FromResult(b.Backplane.MessagesReceived >= 1), "B heard A's write");
        Assert.Equal("v1", await funcB.DoAsync("k", _ => Task.FromResult("fromB")));
        Assert.NotNull(await b.Memory.GetAsync("k")); // B now answers from memory

        var expected = "v2";
        switch (operation)
        {
            case "set":
                await a.Hybrid.SetAsync("k", Payload("v2"), TimeSpan.FromMinutes(5));
                break;
            case "delete":
                await a.Hybrid.DeleteAsync(["k"]);
                expected = "fromB";
                break;
            case "clear":
                await a.Hybrid.ClearAsync();
                expected = "fromB";
                break;
            case "factory":
                // The Redis entry goes without an announcement (as on expiry); A never held it in memory either.
                await a.Memory.DeleteAsync(["k"]);
                await a.Redis.Db().KeyDeleteAsync([options.Prefix + "k", options.LockKey("k")]);
                Assert.Equal("v2", await funcA.DoAsync("k", _ => Task.FromResult("v2")));
                break;
            case "refresh":
                await Task.Delay(TimeSpan.FromMilliseconds(300));
                Assert.Equal("v1", await funcA.DoAsync("k", _ => Task.FromResult("v2"))); // stale: refreshes in the background
                break;
        }

        if (operation == "refresh")
        {
            // Through the bytes: B's CacheFunc would start its own refresh of the (shared, stale) entry.
            await WaitUntilAsync(async () => CachePayload.TryRead((await b.Hybrid.GetAsync("k"))!, out var p) && p.Value.SequenceEqual(MessagePackCacheSerializer.Default.Serialize("v2")), "B reads v2");
        }
        else
        {
            await WaitUntilAsync(async () => await funcB.DoAsync("k", _ => Task.FromResult("fromB")) == expected, $"B reads {expected}");
        }

        Assert.True(b.Backplane.MessagesReceived > 0);
    }

    [Fact]
    public async Task SetOnA_BackplaneOff_BKeepsServingItsMemoryCopy()
    {
        // The control for the test above: without the backplane B has no way to know.
        var options = RedisTestCache.CacheOptions();
        options.Backplane = RedisBackplaneMode.Off;
        await using var a = await Instance.StartAsync(RedisTestCache.Configuration(server), options, subscribe: false);
        await using var b = await Instance.StartAsync(RedisTestCache.Configuration(server), options, subscribe: false);
        Assert.Null(a.Hybrid.Backplane);
        var funcB = new CacheFunc(b.Hybrid, TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5));

        await a.Hybrid.SetAsync("k", Payload("v1"), TimeSpan.FromMinutes(5));
        Assert.Equal("v1", await funcB.DoAsync("k", _ => Task.FromResult("fromB")));
        await a.Hybrid.SetAsync("k", Payload("v2"), TimeSpan.FromMinutes(5));

        Assert.Equal("v1", await funcB.DoAsync("k", _ => Task.FromResult("fromB")));
    }

    [Fact]
    public async Task SetAsync_OwnMessages_AreCountedAndIgnored()
    {
        var options = RedisTestCache.CacheOptions();
        await using var a = await Instance.StartAsync(RedisTestCache.Configuration(server), options);

        for (var i = 0; i < 3; i++)
        {
            await a.Hybrid.SetAsync($"k{i}", Payload("v"), TimeSpan.FromMinutes(5));
        }

        await WaitUntilAsync(() => Task.FromResult(a.Backplane.KeysPublished == 3 && a.Backplane.OwnMessagesIgnored == a.Backplane.MessagesPublished), "own messages came back");
        Assert.Equal(a.Backplane.MessagesReceived, a.Backplane.OwnMessagesIgnored);
        for (var i = 0; i < 3; i++)
        {
            Assert.NotNull(await a.Memory.GetAsync($"k{i}")); // its own writes did not evict its copies
        }
    }

    [Theory]
    [InlineData(500, true)]
    [InlineData(0, false)]
    public async Task SetAsync_ManyKeysAtOnce_CoalescedIntoFewerMessages(int windowMs, bool coalesced)
    {
        const int Keys = 100;
        var options = RedisTestCache.CacheOptions();
        options.BackplaneCoalesceWindow = TimeSpan.FromMilliseconds(windowMs);
        await using var a = await Instance.StartAsync(RedisTestCache.Configuration(server), options);
        await using var b = await Instance.StartAsync(RedisTestCache.Configuration(server), options);
        for (var i = 0; i < Keys; i++)
        {
            await b.Memory.SetAsync($"k{i}", Payload("old"), TimeSpan.FromMinutes(5));
        }

        await Task.WhenAll(Enumerable.Range(0, Keys).Select(i => a.Hybrid.SetAsync($"k{i}", Payload("new"), TimeSpan.FromMinutes(5)).AsTask()));

        await WaitUntilAsync(() => Task.FromResult(b.Memory.Count == 0), "B dropped every key");

        // What is counted is A's work: every key announced, in how many messages. (Whether B got each message is not
        // asserted here: on a loaded machine its subscription may be renewed, which clears B's memory level anyway.)
        await WaitUntilAsync(() => Task.FromResult(a.Backplane.KeysPublished == Keys), "A announced every key");
        if (coalesced)
        {
            Assert.InRange(a.Backplane.MessagesPublished, 1, Keys - 1);
        }
        else
        {
            Assert.Equal(Keys, a.Backplane.MessagesPublished);
        }
    }

    [Fact]
    public async Task SubscriptionKilled_Reconnect_ClearsMemoryLevel()
    {
        await using var own = await RedisServerFixture.StartAsync(new RedisServerOptions { Private = true });
        var options = RedisTestCache.CacheOptions();
        await using var b = await Instance.StartAsync(RedisTestCache.Configuration(own), options);
        for (var i = 0; i < 10; i++)
        {
            await b.Hybrid.SetAsync($"k{i}", Payload("v"), TimeSpan.FromMinutes(5));
        }

        Assert.Equal(10, b.Memory.Count);
        await b.Redis.Db().ExecuteAsync("CLIENT", "KILL", "TYPE", "pubsub");

        await WaitUntilAsync(() => Task.FromResult(b.Backplane.Gaps >= 1 && b.Memory.Count == 0), "the gap cleared the memory level");
        Assert.NotNull(await b.Hybrid.GetAsync("k0")); // still in Redis: the next read copies it back
    }

    [Fact]
    public async Task KeyspaceMode_ForeignWriteWithoutAnnouncement_EvictsMemoryCopy()
    {
        await using var own = await RedisServerFixture.StartAsync(new RedisServerOptions { Private = true, ExtraArguments = ["--notify-keyspace-events", "K$g"] });
        var options = RedisTestCache.CacheOptions();
        options.Backplane = RedisBackplaneMode.KeyspaceNotifications;
        await using var b = await Instance.StartAsync(RedisTestCache.Configuration(own), options);
        var funcB = new CacheFunc(b.Hybrid, TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5));
        Assert.Equal("v1", await funcB.DoAsync("k", _ => Task.FromResult("v1")));
        await WaitUntilAsync(async () => await b.Redis.GetAsync("k") is not null, "B's write reached Redis");
        await WaitUntilAsync(() => Task.FromResult(b.Backplane.MessagesReceived >= 1), "B heard its own write"); // which dropped its copy
        await b.Memory.SetAsync("k", Payload("v1"), TimeSpan.FromMinutes(5));

        // A Go service's write: a plain SET of a Go envelope, no announcement.
        using (var go = await ConnectionMultiplexer.ConnectAsync(RedisTestCache.Configuration(own)))
        {
            await go.GetDatabase().StringSetAsync(options.Prefix + "k", Payload("fromGo"), TimeSpan.FromMinutes(5));
        }

        await WaitUntilAsync(async () => await funcB.DoAsync("k", _ => Task.FromResult("fromB")) == "fromGo", "B reads Go's value");
    }

    [Fact]
    public async Task RemoveByTagAsync_OnA_NextReadOnAAndBIsAMiss()
    {
        var options = RedisTestCache.CacheOptions();
        await using var a = await Instance.StartAsync(RedisTestCache.Configuration(server), options);
        await using var b = await Instance.StartAsync(RedisTestCache.Configuration(server), options);
        var funcA = new CacheFunc(a.Hybrid, TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5));
        var funcB = new CacheFunc(b.Hybrid, TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5));
        var calls = 0;
        Task<string> Factory(CacheFuncContext _, CancellationToken __) => Task.FromResult("v" + Interlocked.Increment(ref calls));

        Assert.Equal("v1", await funcA.DoAsync("k", ["product"], Factory));
        await WaitUntilAsync(async () => await a.Redis.GetAsync("k") is not null, "A's write reached Redis");
        Assert.Equal("v1", await funcB.DoAsync("k", ["product"], Factory));
        Assert.Equal("u1", await funcB.DoAsync("untagged", _ => Task.FromResult("u1")));
        Assert.Equal(1, calls);

        await funcA.RemoveByTagAsync("product");

        Assert.Equal("v2", await funcA.DoAsync("k", ["product"], Factory));
        Assert.Equal(2, calls);
        // B's next read misses too: it gets A's new value, or (when the race result A's first run left under the lock
        // was invalidated) runs the factory itself.
        var seenOnB = "v1";
        await WaitUntilAsync(async () => (seenOnB = await funcB.DoAsync("k", ["product"], Factory)) != "v1", "B no longer serves the invalidated entry");
        Assert.True(calls >= 2);
        Assert.NotEqual("v1", await funcB.DoAsync("k", ["product"], Factory));
        Assert.Equal("u1", await funcB.DoAsync("untagged", _ => Task.FromResult("other")));
    }

    [Fact]
    public async Task Message_WithAnEmptyKey_TheOtherKeysAreStillDropped()
    {
        var options = RedisTestCache.CacheOptions();
        await using var b = await Instance.StartAsync(RedisTestCache.Configuration(server), options);
        await b.Memory.SetAsync("k1", Payload("old"), TimeSpan.FromMinutes(5));
        await b.Memory.SetAsync("k2", Payload("old"), TimeSpan.FromMinutes(5));

        // Another instance's message (untrusted bytes) naming an empty key between two real ones.
        var message = Assert.Single(BackplaneMessage.Keys(RandomNumberGenerator.GetBytes(BackplaneMessage.InstanceIdLength), ["k1", "", "k2"]));
        await b.Redis.Multiplexer!.GetSubscriber().PublishAsync(RedisChannel.Literal("!backplane!" + options.Prefix), message);

        await WaitUntilAsync(async () => await b.Memory.GetAsync("k1") is null && await b.Memory.GetAsync("k2") is null, "B dropped k1 and k2");
    }

    [Fact]
    public async Task TypedSetAsync_RedisRefusesTheWrite_ThrowsAndNoServerServesTheRefusedValue()
    {
        // A server of its own: its memory limit is changed.
        await using var own = await RedisServerFixture.StartAsync(new RedisServerOptions { Private = true });
        var options = RedisTestCache.CacheOptions();
        await using var a = await Instance.StartAsync(RedisTestCache.Configuration(own), options);
        await using var b = await Instance.StartAsync(RedisTestCache.Configuration(own), options);
        var funcA = new CacheFunc(a.Hybrid, TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5));
        var funcB = new CacheFunc(b.Hybrid, TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5));
        await funcA.SetAsync("k", "v1");
        await WaitUntilAsync(async () => (await funcB.TryGetAsync<string>("k")).Value == "v1" && await b.Memory.GetAsync("k") is not null, "B holds v1 in memory");

        // Every write is refused: OOM with noeviction.
        await a.Redis.Db().ExecuteAsync("CONFIG", "SET", "maxmemory-policy", "noeviction");
        await a.Redis.Db().ExecuteAsync("CONFIG", "SET", "maxmemory", "1");
        var refused = await Assert.ThrowsAsync<RedisServerException>(async () => await funcA.SetAsync("k", "v2"));
        Assert.Contains("OOM", refused.Message, StringComparison.Ordinal);

        // Redis still holds v1, and so does every server: A kept no copy of v2, B (told to drop its copy or not) reads v1.
        Assert.Equal("v1", (await funcA.TryGetAsync<string>("k")).Value);
        Assert.Equal("v1", (await funcB.TryGetAsync<string>("k")).Value);
        await WaitUntilAsync(() => Task.FromResult(a.Backplane.KeysPublished >= 2), "A announced the failed write"); // published: PUBLISH is not refused
        Assert.Equal("v1", (await funcB.TryGetAsync<string>("k")).Value);
    }

    internal static byte[] Payload(string value)
        => CachePayload.Write(DateTimeOffset.UtcNow.AddMinutes(1), MessagePackCacheSerializer.Default.Serialize(value));

    internal static Task WaitUntilAsync(Func<Task<bool>> condition, string what) => RedisCli.WaitUntilAsync(condition, what, TimeSpan.FromSeconds(20));
}

/// <summary>One instance: Redis + memory under a HybridCache, with its backplane subscribed.</summary>
internal sealed class Instance : IAsyncDisposable
{
    private Instance(RedisCache redis, MemoryCache memory, HybridCache hybrid)
    {
        Redis = redis;
        Memory = memory;
        Hybrid = hybrid;
    }

    public RedisCache Redis { get; }

    public MemoryCache Memory { get; }

    public HybridCache Hybrid { get; }

    public RedisBackplane Backplane => (RedisBackplane)Hybrid.Backplane!;

    public static async Task<Instance> StartAsync(ConfigurationOptions configuration, RedisCacheOptions options, bool subscribe = true)
    {
        var redis = await RedisTestCache.CreateAsync(configuration, options);
        var memory = new MemoryCache(10_000, 64 << 20, TimeSpan.FromMinutes(10));
        var instance = new Instance(redis, memory, new HybridCache(redis, memory));
        if (subscribe)
        {
            await instance.Backplane.Subscribed.WaitAsync(TimeSpan.FromSeconds(30));
        }

        return instance;
    }

    public ValueTask DisposeAsync() => Hybrid.DisposeAsync();
}
