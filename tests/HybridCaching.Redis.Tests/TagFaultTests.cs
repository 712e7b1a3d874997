using HybridCaching.Testing.Redis;
using static HybridCaching.Redis.Tests.BackplaneTests;

namespace HybridCaching.Redis.Tests;

/// <summary>Tag invalidation against a real redis-server that stops answering (SIGSTOP): a tag read that fails is a
/// miss, and is not remembered as "never invalidated" once Redis answers again.</summary>
[Collection(RedisFaultCollection.Name)]
[Trait("Category", "Redis")]
public sealed class TagFaultTests
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task DoAsync_TagEvictedElsewhereThenRedisStalls_EvictedValueIsNeverServed()
    {
        await using var server = await RedisServerFixture.StartAsync(new RedisServerOptions { Private = true });
        var options = RedisTestCache.CacheOptions();
        options.OperationTimeout = TimeSpan.FromMilliseconds(300);
        await using var a = await Instance.StartAsync(RedisTestCache.Configuration(server), options);
        await using var b = await Instance.StartAsync(RedisTestCache.Configuration(server), options);
        var funcA = new CacheFunc(a.Hybrid, TimeSpan.FromSeconds(2), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5));
        var funcB = new CacheFunc(b.Hybrid, TimeSpan.FromSeconds(2), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5));
        Assert.Equal("old", await funcA.DoAsync("k", ["t"], (_, _) => Task.FromResult("old")));
        Assert.NotNull(await a.Memory.GetAsync("k"));
        Assert.NotNull(await a.Memory.GetAsync("!tag!t")); // "never invalidated", remembered for 30 s

        await funcB.RemoveByTagAsync("t");
        await WaitUntilAsync(async () => await a.Memory.GetAsync("!tag!t") is null, "A dropped its copy of the tag's time");

        await server.PauseAsync();
        try
        {
            // A holds the entry in memory; the tag's time cannot be read: a miss (here the source fails too).
            await Assert.ThrowsAnyAsync<Exception>(async () =>
                await funcA.DoAsync<string>("k", ["t"], (_, _) => throw new InvalidOperationException("source down")).AsTask().WaitAsync(Guard));
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
                    await a.Redis.GetAsync("probe");
                    return true;
                }
                catch (Exception ex) when (ex is TimeoutException or StackExchange.Redis.RedisException)
                {
                    return false;
                }
            },
            "A's Redis answers again");

        Assert.Equal("new", await funcA.DoAsync("k", ["t"], (_, _) => Task.FromResult("new")));
    }

    // Issue 19 item 9 on the tag path: a hybrid holds a tagged entry whose tag time it must read (another server evicted
    // the tag), and Redis hangs with an OperationTimeout past waitFor. A factory taking under half of waitFor still
    // answers the call.
    [Fact]
    public async Task DoAsync_TagEvictedElsewhereThenRedisHangs_FactoryUnderHalfOfWaitForReturnsItsValue()
    {
        await using var server = await RedisServerFixture.StartAsync(new RedisServerOptions { Private = true });
        var configuration = RedisTestCache.Configuration(server);
        configuration.SyncTimeout = configuration.AsyncTimeout = 60_000;
        var options = RedisTestCache.CacheOptions();
        options.OperationTimeout = TimeSpan.FromSeconds(10);
        await using var a = await Instance.StartAsync(configuration, options);
        await using var b = await Instance.StartAsync(configuration, options);
        var waitFor = TimeSpan.FromSeconds(2);
        var funcA = new CacheFunc(a.Hybrid, waitFor, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5));
        var funcB = new CacheFunc(b.Hybrid, waitFor, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5));
        Assert.Equal("old", await funcA.DoAsync("k", ["t"], (_, _) => Task.FromResult("old")));
        await funcB.RemoveByTagAsync("t");
        await WaitUntilAsync(async () => await a.Memory.GetAsync("!tag!t") is null, "A dropped its copy of the tag's time");
        Assert.NotNull(await a.Memory.GetAsync("k"));

        await server.PauseAsync();
        try
        {
            var got = await funcA.DoAsync("k", ["t"], async (_, _) =>
            {
                await Task.Delay(waitFor * 0.4);
                return "new";
            }).AsTask().WaitAsync(Guard);

            Assert.Equal("new", got);
        }
        finally
        {
            await server.ResumeAsync();
        }
    }
}
