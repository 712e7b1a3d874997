using System.Net;
using HybridCaching.Http;
using HybridCaching.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Time.Testing;
using static HybridCaching.AspNetCore.Tests.TestHelpers;

namespace HybridCaching.AspNetCore.Tests;

/// <summary>Entries and lock results the middleware did not write, as the Go original writes them: the Go middleware
/// stores every response (cookies included) and leaves results without a best-before time for those it does not store.</summary>
public sealed class MiddlewareForeignEntryTests : IAsyncDisposable
{
    private readonly FakeTimeProvider _time = new();
    private readonly MemoryCache _cache;
    private int _runs;

    public MiddlewareForeignEntryTests() => _cache = new MemoryCache(1000, 1 << 24, TimeSpan.Zero, _time);

    public ValueTask DisposeAsync() => _cache.DisposeAsync();

    private Task<TestApp> StartAsync(ICacheAdapter cache)
        => TestApp.StartAsync(
            new HybridResponseCachingOptions { Cache = cache, TimeProvider = _time, FreshFor = TimeSpan.FromMinutes(1) },
            app => app.Run(context =>
            {
                Interlocked.Increment(ref _runs);
                return context.Response.WriteAsync("from app");
            }));

    private async Task AssertFromAppAsync(HttpResponseMessage response)
    {
        Assert.Equal("from app", await response.Content.ReadAsStringAsync());
        Assert.False(response.Headers.Contains("Set-Cookie"));
        Assert.Equal(HttpCacheStatus.Miss, CacheStatus(response));
        Assert.Equal(1, Volatile.Read(ref _runs));
    }

    [Theory]
    [MemberData(nameof(GoHttpEntries.UnshareableHeadersFreshAndStale), MemberType = typeof(GoHttpEntries))]
    public async Task Middleware_ForeignEntryWithUnshareableHeader_RunsThePipeline(string header, string value, bool stale)
    {
        var bestBefore = _time.GetUtcNow() + (stale ? -1 : 1) * TimeSpan.FromMinutes(1);
        await _cache.SetAsync("http://localhost/e6", GoHttpEntries.WithHeader(bestBefore, header, value), TimeSpan.FromHours(1));
        await using var app = await StartAsync(_cache);

        using var response = await app.Client.GetAsync("/e6");

        await AssertFromAppAsync(response);
    }

    [Theory]
    [MemberData(nameof(GoHttpEntries.UnshareableHeaders), MemberType = typeof(GoHttpEntries))]
    public async Task Middleware_HeadOnForeignEntryWithUnshareableHeader_PassesThrough(string header, string value)
    {
        await _cache.SetAsync("http://localhost/e6", GoHttpEntries.WithHeader(_time.GetUtcNow() + TimeSpan.FromMinutes(1), header, value), TimeSpan.FromHours(1));
        await using var app = await StartAsync(_cache);

        using var response = await app.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/e6"));

        Assert.False(response.Headers.Contains("Set-Cookie"));
        Assert.Equal(HttpCacheStatus.Miss, CacheStatus(response));
        Assert.Equal(1, Volatile.Read(ref _runs));
    }

    [Theory]
    [MemberData(nameof(GoHttpEntries.UnshareableHeaders), MemberType = typeof(GoHttpEntries))]
    public async Task Middleware_WaiterOnGoLeaderWithUnshareableHeader_RunsThePipeline(string header, string value)
    {
        var remote = new RemoteLeaderCache(_cache, new RaceResult(GoHttpEntries.WithHeader(_time.GetUtcNow() + TimeSpan.FromMinutes(1), header, value)));
        await using var app = await StartAsync(remote);

        using var response = await app.Client.GetAsync("/e6");

        Assert.Equal(1, remote.Races);
        await AssertFromAppAsync(response);
    }

    // Go leaves a response it does not store (status >= 400 by default) under its lock without a best-before time.
    [Fact]
    public async Task Middleware_WaiterOnGoResultWithoutBestBefore_IsLabelledMiss()
    {
        byte[] goResult = GoHttpEntries.Payload(default, "go error page", 500, ("Content-Type", "text/plain"));
        await using var app = await StartAsync(new RemoteLeaderCache(_cache, new RaceResult(goResult)));

        using var response = await app.Client.GetAsync("/e");

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal("go error page", await response.Content.ReadAsStringAsync());
        Assert.Equal(HttpCacheStatus.Miss, CacheStatus(response));
        Assert.Equal(0, Volatile.Read(ref _runs));
        Assert.Null(await _cache.GetAsync("http://localhost/e"));
    }

    [Fact]
    public async Task Middleware_WaiterOnGoResultWithBestBefore_IsLabelledHit()
    {
        byte[] goResult = GoHttpEntries.Payload(_time.GetUtcNow() + TimeSpan.FromMinutes(1), "go page", 200, ("Content-Type", "text/plain"));
        await using var app = await StartAsync(new RemoteLeaderCache(_cache, new RaceResult(goResult)));

        using var response = await app.Client.GetAsync("/e");

        Assert.Equal("go page", await response.Content.ReadAsStringAsync());
        Assert.Equal(HttpCacheStatus.Hit, CacheStatus(response));
        Assert.Equal(0, Volatile.Read(ref _runs));
    }
}
