using HybridCaching.Http;
using HybridCaching.Redis;
using HybridCaching.Testing.Redis;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using static HybridCaching.AspNetCore.Tests.TestHelpers;

namespace HybridCaching.AspNetCore.Tests;

/// <summary>Two app servers sharing one real redis-server through Hybrid(Redis, memory) caches.</summary>
[Trait("Category", "Redis")]
public sealed class RedisSharedCacheTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    [Fact]
    public async Task Middleware_StampedeAcrossTwoServers_EndpointRunsOnce()
    {
        int runs = 0;
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        RequestDelegate endpoint = async context =>
        {
            Interlocked.Increment(ref runs);
            await gate.Task;
            await context.Response.WriteAsync("computed once");
        };
        await using var cacheA = new HybridCache(new RedisCache(redis.EndPoint, PatientRedis.Options), new MemoryCache(1000, 1 << 24, TimeSpan.Zero));
        await using var cacheB = new HybridCache(new RedisCache(redis.EndPoint, PatientRedis.Options), new MemoryCache(1000, 1 << 24, TimeSpan.Zero));
        await using var serverA = await TestApp.StartAsync(new HybridResponseCachingOptions { Cache = cacheA }, app => app.Run(endpoint));
        await using var serverB = await TestApp.StartAsync(new HybridResponseCachingOptions { Cache = cacheB }, app => app.Run(endpoint));

        var requests = Enumerable.Range(0, 20).Select(i => Task.Run(async () =>
        {
            using var response = await (i % 2 == 0 ? serverA : serverB).Client.GetAsync("/shared-across-servers");
            return await response.Content.ReadAsStringAsync();
        })).ToArray();
        await EventuallyAsync(() => Volatile.Read(ref runs) == 1);
        gate.SetResult();
        string[] bodies = await Task.WhenAll(requests);

        Assert.All(bodies, body => Assert.Equal("computed once", body));
        Assert.Equal(1, runs);

        using var fromB = await serverB.Client.GetAsync("/shared-across-servers");
        Assert.Equal(HttpCacheStatus.Hit, CacheStatus(fromB));
        Assert.Equal(1, runs);
    }
}
