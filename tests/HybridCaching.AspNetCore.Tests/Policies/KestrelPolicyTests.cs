using HybridCaching.Http;
using Microsoft.AspNetCore.Builder;
using static HybridCaching.AspNetCore.Tests.TestHelpers;

namespace HybridCaching.AspNetCore.Tests.Policies;

/// <summary>An endpoint policy on a real socket (Kestrel on 127.0.0.1, a free port).</summary>
public sealed class KestrelPolicyTests : IAsyncDisposable
{
    private readonly MemoryCache _cache = new(10_000, 1 << 26, TimeSpan.Zero);

    public ValueTask DisposeAsync() => _cache.DisposeAsync();

    [Fact]
    public async Task Middleware_OnKestrelWithEndpointPolicy_VariesByQueryAndHeader()
    {
        int runs = 0;
        await using var app = await TestApp.StartAsync(
            new HybridResponseCachingOptions { Cache = _cache, EndpointsOnly = true },
            app =>
            {
                app.MapGet("/search", (string? q) => $"{q} {Interlocked.Increment(ref runs)}")
                    .CacheHybridResponse(p =>
                    {
                        p.VaryByQuery.Add("q");
                        p.VaryByHeader.Add("X-Region");
                    });
                app.MapGet("/uncached", () => $"uncached {Interlocked.Increment(ref runs)}");
            },
            kestrel: true);

        Task<(string? Status, string Body)> GetAsync(string path, string region) => app.Client.GetStatusAndBodyAsync(path, ("X-Region", region));

        var first = await GetAsync("/search?q=a&page=1", "eu");
        var sameQuery = await GetAsync("/search?page=2&q=a", "eu");
        var otherRegion = await GetAsync("/search?q=a", "us");
        var otherQuery = await GetAsync("/search?q=b", "eu");
        var uncached = await GetAsync("/uncached", "eu");

        Assert.Equal((HttpCacheStatus.Miss, "a 1"), first);
        Assert.Equal((HttpCacheStatus.Hit, "a 1"), sameQuery);
        Assert.Equal((HttpCacheStatus.Miss, "a 2"), otherRegion);
        Assert.Equal((HttpCacheStatus.Miss, "b 3"), otherQuery);
        Assert.Equal((null, "uncached 4"), uncached);
    }
}
