using System.Net;
using HybridCaching.Http;
using HybridCaching.Testing;
using Microsoft.Extensions.Time.Testing;

namespace HybridCaching.Tests.Http;

/// <summary>Entries and lock results the handler did not write, as the Go original writes them: the Go middleware
/// stores every response (cookies included) and leaves results without a best-before time for those it does not store.</summary>
public sealed class HttpCacheHandlerForeignEntryTests : IAsyncDisposable
{
    private const string Origin = "http://origin.test";

    private readonly FakeTimeProvider _time = new();
    private readonly MemoryCache _cache;

    public HttpCacheHandlerForeignEntryTests() => _cache = new MemoryCache(1000, 1 << 24, TimeSpan.Zero, _time);

    public ValueTask DisposeAsync() => _cache.DisposeAsync();

    private (HttpClient Client, FakeOrigin Origin) NewClient(ICacheAdapter cache)
    {
        var origin = new FakeOrigin((_, _) => Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent("from origin") }));
        var handler = new HttpCacheHandler(
            new HttpCacheHandlerOptions { Cache = cache, FreshFor = TimeSpan.FromMinutes(1), TimeProvider = _time },
            origin);
        return (new HttpClient(handler) { BaseAddress = new Uri(Origin) }, origin);
    }

    private static async Task AssertFromOriginAsync(HttpResponseMessage response)
    {
        Assert.Equal("from origin", await response.Content.ReadAsStringAsync());
        Assert.False(response.Headers.Contains("Set-Cookie"));
        Assert.Equal(HttpCacheStatus.Miss, response.Headers.GetValues(HttpCacheStatus.HeaderName).Single());
    }

    [Theory]
    [MemberData(nameof(GoHttpEntries.UnshareableHeadersFreshAndStale), MemberType = typeof(GoHttpEntries))]
    public async Task SendAsync_ForeignEntryWithUnshareableHeader_GoesToOrigin(string header, string value, bool stale)
    {
        var bestBefore = _time.GetUtcNow() + (stale ? -1 : 1) * TimeSpan.FromMinutes(1);
        await _cache.SetAsync(Origin + "/e", GoHttpEntries.WithHeader(bestBefore, header, value), TimeSpan.FromHours(1));
        var (client, origin) = NewClient(_cache);
        using (client)
        {
            using var response = await client.GetAsync("/e");

            await AssertFromOriginAsync(response);
            Assert.Equal(1, origin.Calls);
        }
    }

    [Theory]
    [MemberData(nameof(GoHttpEntries.UnshareableHeaders), MemberType = typeof(GoHttpEntries))]
    public async Task SendAsync_HeadOnForeignEntryWithUnshareableHeader_GoesToOrigin(string header, string value)
    {
        await _cache.SetAsync(Origin + "/e", GoHttpEntries.WithHeader(_time.GetUtcNow() + TimeSpan.FromMinutes(1), header, value), TimeSpan.FromHours(1));
        var (client, origin) = NewClient(_cache);
        using (client)
        {
            using var response = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/e"));

            Assert.False(response.Headers.Contains("Set-Cookie"));
            Assert.Equal(HttpCacheStatus.Miss, response.Headers.GetValues(HttpCacheStatus.HeaderName).Single());
            Assert.Equal(HttpMethod.Head, origin.Received.Single().Method);
        }
    }

    // A HEAD reads the stored entry as GetHttpResponseAsync does: a tag removed after the entry was written makes it a miss.
    [Fact]
    public async Task SendAsync_HeadOnEntryWithRemovedTag_GoesToOrigin()
    {
        var func = new CacheFunc(_cache, new CacheFuncOptions { TimeProvider = _time });
        await func.DoHttpResponseAsync(
            Origin + "/e",
            0,
            static (_, context, _) =>
            {
                context.Tags = ["products"];
                return Task.FromResult(new CachedHttpResponse(200, [new("Content-Type", ["text/plain"])], "tagged"u8.ToArray()));
            },
            callerMatchesVary: false);
        var (client, origin) = NewClient(_cache);
        using (client)
        {
            using (var hit = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/e")))
            {
                Assert.Equal(HttpCacheStatus.Hit, hit.Headers.GetValues(HttpCacheStatus.HeaderName).Single());
            }

            _time.Advance(TimeSpan.FromSeconds(1));
            await func.RemoveByTagAsync("products");
            _time.Advance(TimeSpan.FromSeconds(1));
            using var response = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/e"));

            Assert.Equal(HttpCacheStatus.Miss, response.Headers.GetValues(HttpCacheStatus.HeaderName).Single());
            Assert.Equal(HttpMethod.Head, origin.Received.Single().Method);
        }
    }

    [Theory]
    [MemberData(nameof(GoHttpEntries.UnshareableHeaders), MemberType = typeof(GoHttpEntries))]
    public async Task SendAsync_WaiterOnGoLeaderWithUnshareableHeader_GoesToOrigin(string header, string value)
    {
        var remote = new RemoteLeaderCache(_cache, new RaceResult(GoHttpEntries.WithHeader(_time.GetUtcNow() + TimeSpan.FromMinutes(1), header, value)));
        var (client, origin) = NewClient(remote);
        using (client)
        {
            using var response = await client.GetAsync("/e");

            Assert.Equal(1, remote.Races);
            await AssertFromOriginAsync(response);
            Assert.Equal(1, origin.Calls);
        }
    }

    // Go leaves a response it does not store (status >= 400 by default) under its lock without a best-before time.
    [Fact]
    public async Task SendAsync_WaiterOnGoResultWithoutBestBefore_IsLabelledMiss()
    {
        byte[] goResult = GoHttpEntries.Payload(default, "go error page", 500, ("Content-Type", "text/plain"));
        var remote = new RemoteLeaderCache(_cache, new RaceResult(goResult));
        var (client, origin) = NewClient(remote);
        using (client)
        {
            using var response = await client.GetAsync("/e");

            Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
            Assert.Equal("go error page", await response.Content.ReadAsStringAsync());
            Assert.Equal(HttpCacheStatus.Miss, response.Headers.GetValues(HttpCacheStatus.HeaderName).Single());
            Assert.Equal(0, origin.Calls);
            Assert.Null(await _cache.GetAsync(Origin + "/e"));
        }
    }

    [Fact]
    public async Task SendAsync_WaiterOnGoResultWithBestBefore_IsLabelledHit()
    {
        byte[] goResult = GoHttpEntries.Payload(_time.GetUtcNow() + TimeSpan.FromMinutes(1), "go page", 200, ("Content-Type", "text/plain"));
        var (client, origin) = NewClient(new RemoteLeaderCache(_cache, new RaceResult(goResult)));
        using (client)
        {
            using var response = await client.GetAsync("/e");

            Assert.Equal("go page", await response.Content.ReadAsStringAsync());
            Assert.Equal(HttpCacheStatus.Hit, response.Headers.GetValues(HttpCacheStatus.HeaderName).Single());
            Assert.Equal(0, origin.Calls);
        }
    }
}
