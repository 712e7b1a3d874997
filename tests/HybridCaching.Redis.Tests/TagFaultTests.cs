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
}
