using System.Net;
using System.Net.Http.Headers;
using HybridCaching.Http;
using HybridCaching.Testing;
using Microsoft.Extensions.Time.Testing;

namespace HybridCaching.Tests.Http;

/// <summary>The client handler's key varying by request headers, and its revalidation of stale entries.</summary>
public sealed class HttpCacheHandlerRevalidationTests : IAsyncDisposable
{
    private const string Origin = "http://origin.test";
    private static readonly TimeSpan FreshFor = TimeSpan.FromMinutes(1);
    private static readonly DateTimeOffset LastModified = new(2023, 6, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly FakeTimeProvider _time = new();
    private readonly MemoryCache _cache;

    public HttpCacheHandlerRevalidationTests() => _cache = new MemoryCache(10_000, 1 << 26, TimeSpan.Zero, _time);

    public ValueTask DisposeAsync() => _cache.DisposeAsync();

    private HttpClient NewClient(FakeOrigin origin, params string[] varyBy)
    {
        var options = new HttpCacheHandlerOptions { Cache = _cache, WaitFor = TimeSpan.FromSeconds(10), FreshFor = FreshFor, TimeProvider = _time };
        foreach (string name in varyBy)
        {
            options.VaryByRequestHeaders.Add(name);
        }

        return new HttpClient(new HttpCacheHandler(options, origin)) { BaseAddress = new Uri(Origin) };
    }

    private static HttpRequestMessage Get(string path, string? language)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (language is not null)
        {
            request.Headers.TryAddWithoutValidation("Accept-Language", language);
        }

        return request;
    }

    private static async Task<string> BodyAsync(HttpClient client, HttpRequestMessage request)
    {
        using (request)
        {
            using var response = await client.SendAsync(request);
            return await response.Content.ReadAsStringAsync();
        }
    }

    private static FakeOrigin LanguageOrigin(string vary) => new((request, _) =>
    {
        string language = request.Headers.TryGetValues("Accept-Language", out var values) ? string.Join('|', values) : "none";
        var response = new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent($"lang {language}") };
        response.Headers.TryAddWithoutValidation("Vary", vary);
        return Task.FromResult(response);
    });

    [Fact]
    public async Task SendAsync_VaryByRequestHeader_StoresEachVariantSeparately()
    {
        var origin = LanguageOrigin("Accept-Language");
        using var client = NewClient(origin, "accept-language");

        Assert.Equal("lang en", await BodyAsync(client, Get("/v", "en")));
        Assert.Equal("lang fr", await BodyAsync(client, Get("/v", "fr")));
        Assert.Equal("lang none", await BodyAsync(client, Get("/v", null)));
        Assert.Equal("lang en", await BodyAsync(client, Get("/v", "en")));
        Assert.Equal("lang fr", await BodyAsync(client, Get("/v", "fr")));
        Assert.Equal("lang none", await BodyAsync(client, Get("/v", null)));
        Assert.Equal("lang ", await BodyAsync(client, Get("/v", string.Empty)));

        Assert.Equal(4, origin.Calls);
    }

    [Fact]
    public async Task SendAsync_VaryByRequestHeaders_KeyIgnoresOptionOrderAndNameCase()
    {
        var origin = LanguageOrigin("Accept-Language, X-Tenant");
        using var first = NewClient(origin, "X-Tenant", "Accept-Language");
        using var second = NewClient(origin, "accept-language", "x-tenant", "X-TENANT");

        Assert.Equal("lang en", await BodyAsync(first, Get("/o", "en")));
        using var hit = await second.SendAsync(Get("/o", "en"));

        Assert.Equal(HttpCacheStatus.Hit, CacheStatus(hit));
        Assert.Equal(1, origin.Calls);
    }

    [Fact]
    public async Task SendAsync_VaryByRequestHeaders_ValuesThatWouldRunTogetherGetSeparateKeys()
    {
        var origin = LanguageOrigin("Accept-Language, X-Tenant");
        using var client = NewClient(origin, "Accept-Language", "X-Tenant");
        using var a = Get("/c", "a;x-tenant 1 1:b");
        using var b = Get("/c", "a");
        b.Headers.TryAddWithoutValidation("X-Tenant", "b");
        using var c = Get("/c", "a, b");
        using var d = Get("/c", null);
        d.Headers.TryAddWithoutValidation("Accept-Language", ["a", "b"]);

        foreach (var request in new[] { a, b, c, d })
        {
            using var response = await client.SendAsync(request);
            Assert.Equal(HttpCacheStatus.Miss, CacheStatus(response));
        }

        Assert.Equal(4, origin.Calls);
    }

    [Theory]
    [InlineData("Accept-Language, Accept-Encoding")] // varies on a header the key does not
    [InlineData("*")]
    public async Task SendAsync_VaryBeyondConfiguredHeaders_IsNotStored(string vary)
    {
        var origin = LanguageOrigin(vary);
        using var client = NewClient(origin, "Accept-Language");

        await BodyAsync(client, Get("/n", "en"));
        using var second = await client.SendAsync(Get("/n", "en"));

        Assert.Equal(HttpCacheStatus.Miss, CacheStatus(second));
        Assert.Equal(2, origin.Calls);
    }

    [Fact]
    public void Constructor_InvalidVaryHeaderName_Throws()
    {
        var options = new HttpCacheHandlerOptions { Cache = _cache };
        options.VaryByRequestHeaders.Add("*");

        Assert.Throws<ArgumentException>(() => new HttpCacheHandler(options));
    }

    [Fact]
    public async Task SendAsync_StaleEntryWithETag_RefreshSendsIfNoneMatchAndKeepsBodyOn304()
    {
        int calls = 0;
        string? ifNoneMatch = null;
        var origin = new FakeOrigin((request, _) =>
        {
            if (Interlocked.Increment(ref calls) == 1)
            {
                var full = new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent("the body") };
                full.Headers.ETag = new EntityTagHeaderValue("\"e1\"");
                full.Headers.CacheControl = new CacheControlHeaderValue { MaxAge = TimeSpan.FromSeconds(10) };
                return Task.FromResult(full);
            }

            ifNoneMatch = request.Headers.IfNoneMatch.ToString();
            var notModified = new HttpResponseMessage(HttpStatusCode.NotModified);
            notModified.Headers.ETag = new EntityTagHeaderValue("\"e1\"");
            notModified.Headers.CacheControl = new CacheControlHeaderValue { MaxAge = TimeSpan.FromSeconds(20) };
            return Task.FromResult(notModified);
        });
        using var client = NewClient(origin);

        using (var miss = await client.GetAsync("/r"))
        {
            Assert.Equal("the body", await miss.Content.ReadAsStringAsync());
        }

        _time.Advance(FreshFor + TimeSpan.FromSeconds(1));
        using (var stale = await client.GetAsync("/r"))
        {
            Assert.Equal(HttpCacheStatus.Stale, CacheStatus(stale));
            Assert.Equal("the body", await stale.Content.ReadAsStringAsync());
        }

        await EventuallyAsync(() => Volatile.Read(ref calls) == 2);
        using (var fresh = await WaitForHitAsync(client, "/r"))
        {
            Assert.Equal(HttpStatusCode.OK, fresh.StatusCode);
            Assert.Equal("the body", await fresh.Content.ReadAsStringAsync());
            Assert.Equal("text/plain; charset=utf-8", fresh.Content.Headers.ContentType?.ToString());
            Assert.Equal(8, fresh.Content.Headers.ContentLength);
            Assert.Equal(TimeSpan.FromSeconds(20), fresh.Headers.CacheControl?.MaxAge);
            Assert.Equal(TimeSpan.Zero, fresh.Headers.Age);
        }

        Assert.Equal("\"e1\"", ifNoneMatch);
        Assert.Equal(2, origin.Calls);
    }

    [Fact]
    public async Task SendAsync_StaleEntryWithLastModifiedOnly_RefreshSendsIfModifiedSince()
    {
        int calls = 0;
        DateTimeOffset? ifModifiedSince = null;
        bool sentIfNoneMatch = true;
        var origin = new FakeOrigin((request, _) =>
        {
            if (Interlocked.Increment(ref calls) == 1)
            {
                var full = new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent("dated body") };
                full.Content.Headers.LastModified = LastModified;
                return Task.FromResult(full);
            }

            ifModifiedSince = request.Headers.IfModifiedSince;
            sentIfNoneMatch = request.Headers.Contains("If-None-Match");
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.NotModified));
        });
        using var client = NewClient(origin);

        await StoreThenHitStaleAsync(client, "/d");

        await EventuallyAsync(() => Volatile.Read(ref calls) == 2);
        using var fresh = await WaitForHitAsync(client, "/d");

        Assert.Equal("dated body", await fresh.Content.ReadAsStringAsync());
        Assert.Equal(LastModified, fresh.Content.Headers.LastModified);
        Assert.Equal(LastModified, ifModifiedSince);
        Assert.False(sentIfNoneMatch);
    }

    [Fact]
    public async Task SendAsync_StaleEntryWithoutValidators_RefreshIsUnconditional()
    {
        int calls = 0;
        bool conditional = true;
        var origin = new FakeOrigin((request, _) =>
        {
            int n = Interlocked.Increment(ref calls);
            if (n == 2)
            {
                conditional = request.Headers.Contains("If-None-Match") || request.Headers.Contains("If-Modified-Since");
            }

            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent($"v{n}") });
        });
        using var client = NewClient(origin);

        await StoreThenHitStaleAsync(client, "/u");

        using var fresh = await WaitForHitAsync(client, "/u");

        Assert.Equal("v2", await fresh.Content.ReadAsStringAsync());
        Assert.False(conditional);
    }

    [Fact]
    public async Task SendAsync_ChangedStaleEntry_RefreshStoresNewBody()
    {
        int calls = 0;
        var origin = new FakeOrigin((request, _) =>
        {
            int n = Interlocked.Increment(ref calls);
            var response = new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent($"v{n}") };
            response.Headers.ETag = new EntityTagHeaderValue($"\"e{n}\"");
            return Task.FromResult(response);
        });
        using var client = NewClient(origin);

        await StoreThenHitStaleAsync(client, "/x");

        using var fresh = await WaitForHitAsync(client, "/x");

        Assert.Equal("v2", await fresh.Content.ReadAsStringAsync());
        Assert.Equal("\"e2\"", fresh.Headers.ETag?.ToString());
    }

    [Fact]
    public async Task SendAsync_CallerSendsIfNoneMatch_PassesThroughAndGetsOrigin304()
    {
        var origin = new FakeOrigin((request, _) => Task.FromResult(request.Headers.IfNoneMatch.Count > 0
            ? new HttpResponseMessage(HttpStatusCode.NotModified)
            : new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent("full") }));
        using var client = NewClient(origin);

        using (await client.GetAsync("/p"))
        {
        }

        using var conditional = new HttpRequestMessage(HttpMethod.Get, "/p");
        conditional.Headers.TryAddWithoutValidation("If-None-Match", "\"mine\"");
        using var response = await client.SendAsync(conditional);

        Assert.Equal(HttpStatusCode.NotModified, response.StatusCode);
        Assert.Null(CacheStatus(response));
        Assert.Equal(2, origin.Calls);
    }

    // A miss stores the response; past fresh-for, a stale hit starts the background refresh.
    private async Task StoreThenHitStaleAsync(HttpClient client, string path)
    {
        using (var miss = await client.GetAsync(path))
        {
            Assert.Equal(HttpCacheStatus.Miss, CacheStatus(miss));
        }

        _time.Advance(FreshFor + TimeSpan.FromSeconds(1));
        using var stale = await client.GetAsync(path);
        Assert.Equal(HttpCacheStatus.Stale, CacheStatus(stale));
    }

    private static async Task<HttpResponseMessage> WaitForHitAsync(HttpClient client, string path)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            var response = await client.GetAsync(path);
            if (CacheStatus(response) == HttpCacheStatus.Hit)
            {
                return response;
            }

            response.Dispose();
            Assert.True(DateTime.UtcNow < deadline, "No fresh hit within 10 s.");
            await Task.Delay(5);
        }
    }
}
