using HybridCaching.Http;
using HybridCaching.Redis;
using HybridCaching.Testing.Redis;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using static HybridCaching.AspNetCore.Tests.TestHelpers;

namespace HybridCaching.AspNetCore.Tests.Policies;

/// <summary>Two app servers sharing one real redis-server through Hybrid(Redis, memory) caches: a tag evicted on one
/// makes the next request on the other run its endpoint.</summary>
[Trait("Category", "Redis")]
public sealed class RedisTagEvictionTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    [Fact]
    public async Task EvictByTagAsync_OnServerA_NextRequestOnServerBRunsItsEndpoint()
    {
        int runsA = 0;
        int runsB = 0;
        string path = "/catalog/1";
        string otherPath = "/catalog/2";
        await using var cacheA = new HybridCache(new RedisCache(redis.EndPoint, PatientRedis.Options), new MemoryCache(1000, 1 << 24, TimeSpan.Zero));
        await using var cacheB = new HybridCache(new RedisCache(redis.EndPoint, PatientRedis.Options), new MemoryCache(1000, 1 << 24, TimeSpan.Zero));
        await using var serverA = await StartAsync(cacheA, "A", () => Interlocked.Increment(ref runsA));
        await using var serverB = await StartAsync(cacheB, "B", () => Interlocked.Increment(ref runsB));

        using var missOnA = await serverA.Client.GetAsync(path);
        using var otherMissOnA = await serverA.Client.GetAsync(otherPath);
        using var hitOnA = await serverA.Client.GetAsync(path);
        Assert.Equal(HttpCacheStatus.Miss, CacheStatus(missOnA));
        Assert.Equal(HttpCacheStatus.Hit, CacheStatus(hitOnA));
        Assert.Equal(2, runsA);

        await serverA.Services.GetRequiredService<HybridResponseCacheEvictor>().EvictByTagAsync("catalog");
        using var onB = await serverB.Client.GetAsync(path);
        using var againOnA = await serverA.Client.GetAsync(otherPath);

        Assert.Equal(HttpCacheStatus.Miss, CacheStatus(onB));
        Assert.Equal("B 1", await onB.Content.ReadAsStringAsync());
        Assert.Equal(1, runsB);
        Assert.Equal(HttpCacheStatus.Miss, CacheStatus(againOnA));
        Assert.Equal("A 3", await againOnA.Content.ReadAsStringAsync());
    }

    private static Task<TestApp> StartAsync(HybridCache cache, string server, Func<int> run)
        => TestApp.StartAsync(
            options: null,
            app =>
            {
                app.UseHybridResponseCaching();
                app.MapGet("/catalog/{id}", () => $"{server} {run()}").CacheHybridResponse(p => p.Tags.Add("catalog"));
            },
            services: s => s.AddSingleton<ICacheAdapter>(cache).AddHybridResponseCaching(o => o.EndpointsOnly = true));
}
