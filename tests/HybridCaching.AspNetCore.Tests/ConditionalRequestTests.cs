using System.Globalization;
using System.Net;
using HybridCaching.Http;
using HybridCaching.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Time.Testing;
using Microsoft.Net.Http.Headers;
using static HybridCaching.AspNetCore.Tests.TestHelpers;

namespace HybridCaching.AspNetCore.Tests;

/// <summary>If-None-Match / If-Modified-Since answered 304 from the cache, without running the endpoint.</summary>
public sealed class ConditionalRequestTests : IAsyncDisposable
{
    private static readonly TimeSpan FreshFor = TimeSpan.FromMinutes(1);
    private static readonly DateTimeOffset LastModified = new(2023, 6, 1, 12, 0, 0, TimeSpan.Zero);

    // The caches' strong ETags (a quoted, truncated SHA-256 of the status code and body) of status 200 with body
    // "plain 1" and "plain 2", and of status 201 with body "plain 1": the same on every server and in both packages.
    private const string Plain1ETag = "\"GisIIAPCC6ZRfejhqgmRUA\"";
    private const string Plain2ETag = "\"cjvEnzHILyJAwvOq5PJeeQ\"";
    private const string Plain1Status201ETag = "\"LzyJQe6YIhnPkYwoZhLn/A\"";

    private readonly FakeTimeProvider _time = new();
    private readonly MemoryCache _cache;
    private int _runs;

    public ConditionalRequestTests() => _cache = new MemoryCache(10_000, 1 << 26, TimeSpan.Zero, _time);

    public ValueTask DisposeAsync() => _cache.DisposeAsync();

    private Task<TestApp> StartAsync(bool kestrel = false) => TestApp.StartAsync(
        new HybridResponseCachingOptions { Cache = _cache, TimeProvider = _time, FreshFor = FreshFor },
        app =>
        {
            app.MapGet("/plain", () => $"plain {Interlocked.Increment(ref _runs)}");
            app.MapGet("/tagged", (HttpContext context) =>
            {
                Interlocked.Increment(ref _runs);
                context.Response.Headers.ETag = "\"app-tag\"";
                context.Response.Headers.CacheControl = "public, max-age=60";
                return "tagged";
            });
            app.MapGet("/weak", (HttpContext context) =>
            {
                Interlocked.Increment(ref _runs);
                context.Response.Headers.ETag = "W/\"weak-tag\"";
                return "weak";
            });
            app.MapGet("/dated", (HttpContext context) =>
            {
                Interlocked.Increment(ref _runs);
                context.Response.Headers.LastModified = LastModified.ToString("r", CultureInfo.InvariantCulture);
                return "dated";
            });
        },
        kestrel: kestrel);

    // Starts the app and stores the response of path (a first GET, a miss).
    private async Task<TestApp> StartWithStoredAsync(string path, bool kestrel = false)
    {
        var app = await StartAsync(kestrel);
        using var miss = await app.Client.GetAsync(path);
        Assert.Equal(HttpCacheStatus.Miss, CacheStatus(miss));
        return app;
    }

    private static HttpRequestMessage Get(string path, string? ifNoneMatch = null, DateTimeOffset? ifModifiedSince = null, HttpMethod? method = null)
    {
        var request = new HttpRequestMessage(method ?? HttpMethod.Get, path);
        if (ifNoneMatch is not null)
        {
            request.Headers.TryAddWithoutValidation(HeaderNames.IfNoneMatch, ifNoneMatch);
        }

        if (ifModifiedSince is { } since)
        {
            request.Headers.IfModifiedSince = since;
        }

        return request;
    }

    private static async Task<string> ETagOfAsync(TestApp app, string path)
    {
        using var hit = await app.Client.GetAsync(path);
        Assert.Equal(HttpCacheStatus.Hit, CacheStatus(hit));
        return Assert.Single(hit.Headers.GetValues(HeaderNames.ETag));
    }

    [Fact]
    public async Task Middleware_HitWithMatchingIfNoneMatch_Answers304WithoutBodyOrEndpointRun()
    {
        await using var app = await StartWithStoredAsync("/plain");

        string etag = await ETagOfAsync(app, "/plain");
        using var notModified = await app.Client.SendAsync(Get("/plain", etag));

        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
        Assert.Empty(await notModified.Content.ReadAsByteArrayAsync());
        Assert.Equal(etag, notModified.Headers.ETag?.ToString());
        Assert.Equal(HttpCacheStatus.Hit, CacheStatus(notModified));
        Assert.NotNull(notModified.Headers.Date);
        Assert.NotNull(notModified.Headers.Age);
        Assert.Null(notModified.Content.Headers.ContentType);
        Assert.Equal(1, _runs);
    }

    [Theory]
    [InlineData("If-Match", "\"other\"")]
    [InlineData("If-Unmodified-Since", "Thu, 01 Jun 2023 12:00:00 GMT")]
    [InlineData("If-Range", "\"other\"")]
    public async Task Middleware_RequestWithPrecondition_PassesThroughUncached(string header, string value)
    {
        await using var app = await StartWithStoredAsync("/plain");
        using var request = Get("/plain");
        request.Headers.TryAddWithoutValidation(header, value);

        using var response = await app.Client.SendAsync(request);

        Assert.Null(CacheStatus(response)); // untouched: neither served from the cache nor shared with others
        Assert.Equal("plain 2", await response.Content.ReadAsStringAsync());
        Assert.Equal(2, _runs);
    }

    [Fact]
    public async Task Middleware_StoredResponse_GetsStrongETagFromItsBytes()
    {
        await using var app = await StartWithStoredAsync("/plain");

        string etag = await ETagOfAsync(app, "/plain");
        var parsed = EntityTagHeaderValue.Parse(etag);

        Assert.False(parsed.IsWeak);
        Assert.Equal(Plain1ETag, etag);
        Assert.NotEqual(Plain2ETag, etag);
        Assert.NotEqual(Plain1Status201ETag, etag);
    }

    [Fact]
    public async Task Middleware_StoredEntry_CarriesETagInGoEnvelopeHeader()
    {
        await using var app = await StartWithStoredAsync("/plain");

        Assert.True(CachePayload.TryRead((await _cache.GetAsync("http://localhost/plain"))!, out var payload));

        Assert.Equal([Plain1ETag], payload.ReadHeader()![HeaderNames.ETag]);
        Assert.Equal(200, payload.StatusCode);
    }

    [Fact]
    public async Task Middleware_HitWithOtherIfNoneMatch_AnswersFullResponse()
    {
        await using var app = await StartWithStoredAsync("/plain");

        using var hit = await app.Client.SendAsync(Get("/plain", "\"something-else\""));

        Assert.Equal(HttpStatusCode.OK, hit.StatusCode);
        Assert.Equal("plain 1", await hit.Content.ReadAsStringAsync());
        Assert.Equal(HttpCacheStatus.Hit, CacheStatus(hit));
        Assert.NotNull(hit.Headers.ETag);
        Assert.Equal(1, _runs);
    }

    [Fact]
    public async Task Middleware_HitWithIfNoneMatchList_Answers304WhenAnyMatches()
    {
        await using var app = await StartWithStoredAsync("/plain");

        string etag = await ETagOfAsync(app, "/plain");
        using var notModified = await app.Client.SendAsync(Get("/plain", $"\"a,b\", W/\"other\" , {etag}"));
        using var noneOfThem = await app.Client.SendAsync(Get("/plain", "\"a,b\", W/\"other\""));

        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
        Assert.Equal(HttpStatusCode.OK, noneOfThem.StatusCode);
        Assert.Equal("plain 1", await noneOfThem.Content.ReadAsStringAsync());
        Assert.Equal(1, _runs);
    }

    [Fact]
    public async Task Middleware_HitWithIfNoneMatchStar_Answers304()
    {
        await using var app = await StartWithStoredAsync("/plain");

        using var notModified = await app.Client.SendAsync(Get("/plain", "*"));

        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
        Assert.Empty(await notModified.Content.ReadAsByteArrayAsync());
        Assert.Equal(1, _runs);
    }

    [Fact]
    public async Task Middleware_AppSetETag_IsKeptAndMatchedWithCacheHeaders()
    {
        await using var app = await StartAsync();
        using var miss = await app.Client.GetAsync("/tagged");
        using var hit = await app.Client.GetAsync("/tagged");
        using var notModified = await app.Client.SendAsync(Get("/tagged", "\"app-tag\""));
        using var weakMatch = await app.Client.SendAsync(Get("/tagged", "W/\"app-tag\""));

        Assert.Equal("\"app-tag\"", miss.Headers.ETag?.ToString());
        Assert.Equal("\"app-tag\"", hit.Headers.ETag?.ToString());
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
        Assert.Equal("\"app-tag\"", notModified.Headers.ETag?.ToString());
        Assert.Equal("public, max-age=60", notModified.Headers.CacheControl?.ToString());
        Assert.Equal(HttpStatusCode.NotModified, weakMatch.StatusCode);
        Assert.Equal(1, _runs);
    }

    [Fact]
    public async Task Middleware_AppSetWeakETag_IsKeptAndMatchedWeakly()
    {
        await using var app = await StartWithStoredAsync("/weak");

        string etag = await ETagOfAsync(app, "/weak");
        using var weak = await app.Client.SendAsync(Get("/weak", "W/\"weak-tag\""));
        using var strongForm = await app.Client.SendAsync(Get("/weak", "\"weak-tag\""));
        using var other = await app.Client.SendAsync(Get("/weak", "W/\"weak-tag-2\""));

        Assert.Equal("W/\"weak-tag\"", etag);
        Assert.Equal(HttpStatusCode.NotModified, weak.StatusCode);
        Assert.Equal("W/\"weak-tag\"", weak.Headers.ETag?.ToString());
        Assert.Equal(HttpStatusCode.NotModified, strongForm.StatusCode);
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        Assert.Equal(1, _runs);
    }

    [Fact]
    public async Task Middleware_IfModifiedSinceWithLastModified_Answers304WhenNotModifiedSince()
    {
        await using var app = await StartWithStoredAsync("/dated");

        using var notModified = await app.Client.SendAsync(Get("/dated", ifModifiedSince: LastModified));
        using var later = await app.Client.SendAsync(Get("/dated", ifModifiedSince: LastModified.AddDays(1)));
        using var earlier = await app.Client.SendAsync(Get("/dated", ifModifiedSince: LastModified.AddSeconds(-1)));

        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
        Assert.Equal(LastModified, notModified.Content.Headers.LastModified);
        Assert.Empty(await notModified.Content.ReadAsByteArrayAsync());
        Assert.Equal(HttpStatusCode.NotModified, later.StatusCode);
        Assert.Equal(HttpStatusCode.OK, earlier.StatusCode);
        Assert.Equal("dated", await earlier.Content.ReadAsStringAsync());
        Assert.Equal(1, _runs);
    }

    [Fact]
    public async Task Middleware_IfModifiedSinceWithoutLastModified_AnswersFullResponse()
    {
        await using var app = await StartWithStoredAsync("/plain");

        using var hit = await app.Client.SendAsync(Get("/plain", ifModifiedSince: _time.GetUtcNow().AddDays(1)));

        Assert.Equal(HttpStatusCode.OK, hit.StatusCode);
        Assert.Equal("plain 1", await hit.Content.ReadAsStringAsync());
        Assert.Equal(1, _runs);
    }

    [Fact]
    public async Task Middleware_IfNoneMatchPresent_IfModifiedSinceIgnored()
    {
        await using var app = await StartWithStoredAsync("/dated");

        using var hit = await app.Client.SendAsync(Get("/dated", "\"no-match\"", LastModified.AddDays(1)));

        Assert.Equal(HttpStatusCode.OK, hit.StatusCode);
        Assert.Equal("dated", await hit.Content.ReadAsStringAsync());
        Assert.Equal(1, _runs);
    }

    [Fact]
    public async Task Middleware_HeadWithMatchingIfNoneMatch_Answers304()
    {
        await using var app = await StartWithStoredAsync("/plain");

        string etag = await ETagOfAsync(app, "/plain");
        using var head = await app.Client.SendAsync(Get("/plain", etag, method: HttpMethod.Head));
        using var headOther = await app.Client.SendAsync(Get("/plain", "\"x\"", method: HttpMethod.Head));

        Assert.Equal(HttpStatusCode.NotModified, head.StatusCode);
        Assert.Equal(etag, head.Headers.ETag?.ToString());
        Assert.Equal(HttpStatusCode.OK, headOther.StatusCode);
        Assert.Equal(7, headOther.Content.Headers.ContentLength);
        Assert.Equal(1, _runs);
    }

    [Fact]
    public async Task Middleware_StaleHitWithMatchingIfNoneMatch_Answers304AndRefreshesWithoutValidators()
    {
        string? refreshIfNoneMatch = "unset";
        await using var app = await TestApp.StartAsync(
            new HybridResponseCachingOptions { Cache = _cache, TimeProvider = _time, FreshFor = FreshFor },
            app => app.MapGet("/conditional", (HttpContext context) =>
            {
                int run = Interlocked.Increment(ref _runs);
                if (run == 2)
                {
                    refreshIfNoneMatch = context.Request.Headers.IfNoneMatch.ToString();
                }

                context.Response.Headers.ETag = "\"fixed\"";
                return "same body";
            }));

        using (await app.Client.SendAsync(Get("/conditional", "\"fixed\"")))
        {
        }

        _time.Advance(FreshFor + TimeSpan.FromSeconds(1));
        using var stale = await app.Client.SendAsync(Get("/conditional", "\"fixed\""));

        Assert.Equal(HttpStatusCode.NotModified, stale.StatusCode);
        Assert.Equal(HttpCacheStatus.Stale, CacheStatus(stale));
        Assert.Empty(await stale.Content.ReadAsByteArrayAsync());
        await EventuallyAsync(() => Volatile.Read(ref _runs) == 2);
        await EventuallyAsync(async () =>
        {
            using var fresh = await app.Client.GetAsync("/conditional");
            return CacheStatus(fresh) == HttpCacheStatus.Hit;
        });
        Assert.Equal(string.Empty, refreshIfNoneMatch);
    }

    [Fact]
    public async Task Middleware_MissWithIfNoneMatch_RunsPipelineWithoutValidatorsAndAnswersInFull()
    {
        string? seenIfNoneMatch = null;
        await using var app = await TestApp.StartAsync(
            new HybridResponseCachingOptions { Cache = _cache, TimeProvider = _time },
            app => app.MapGet("/validating", (HttpContext context) =>
            {
                Interlocked.Increment(ref _runs);
                seenIfNoneMatch = context.Request.Headers.IfNoneMatch.ToString();
                context.Response.Headers.ETag = "\"v1\"";
                return context.Request.Headers.IfNoneMatch == "\"v1\"" ? Results.StatusCode(304) : Results.Text("body v1");
            }));

        using var miss = await app.Client.SendAsync(Get("/validating", "\"v1\""));
        using var hit = await app.Client.SendAsync(Get("/validating", "\"v1\""));

        Assert.Equal(HttpStatusCode.OK, miss.StatusCode);
        Assert.Equal("body v1", await miss.Content.ReadAsStringAsync());
        Assert.Equal(HttpCacheStatus.Miss, CacheStatus(miss));
        Assert.Equal(string.Empty, seenIfNoneMatch);
        Assert.Equal(HttpStatusCode.NotModified, hit.StatusCode);
        Assert.Equal(1, _runs);
    }

    [Fact]
    public async Task Middleware_WaiterWithMatchingIfNoneMatch_Answers304FromSharedResponse()
    {
        int entered = 0;
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var app = await TestApp.StartAsync(
            new HybridResponseCachingOptions
            {
                Cache = _cache,
                TimeProvider = _time,
                AcceptResponse = (_, _) => false, // never stored: the waiter's answer can only come from the shared run
            },
            app => app.MapGet("/slow", async (HttpContext context) =>
            {
                Interlocked.Increment(ref _runs);
                await gate.Task;
                context.Response.Headers.ETag = "\"slow\"";
                return "slow body";
            }),
            outer: async (context, next) =>
            {
                // Counts requests that have reached the cache's wait (for a cold key: joined the run).
                var pending = next(context);
                Interlocked.Increment(ref entered);
                await pending;
            });

        var leader = app.Client.GetAsync("/slow");
        await EventuallyAsync(() => Volatile.Read(ref _runs) == 1 && Volatile.Read(ref entered) == 1);
        var waiter = app.Client.SendAsync(Get("/slow", "\"slow\""));
        await EventuallyAsync(() => Volatile.Read(ref entered) == 2);
        gate.SetResult();
        using var leaderResponse = await leader.WaitAsync(TimeSpan.FromSeconds(10));
        using var waiterResponse = await waiter.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(HttpStatusCode.OK, leaderResponse.StatusCode);
        Assert.Equal("slow body", await leaderResponse.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotModified, waiterResponse.StatusCode);
        Assert.Empty(await waiterResponse.Content.ReadAsByteArrayAsync());
        Assert.Equal("\"slow\"", waiterResponse.Headers.ETag?.ToString());
        Assert.Equal(1, _runs);
    }

    [Fact]
    public async Task Middleware_OnKestrel_IfNoneMatchGets304WithEmptyBody()
    {
        await using var app = await StartWithStoredAsync("/plain", kestrel: true);

        string etag = await ETagOfAsync(app, "/plain");
        using var notModified = await app.Client.SendAsync(Get("/plain", etag));

        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
        Assert.Empty(await notModified.Content.ReadAsByteArrayAsync());
        Assert.Equal(etag, notModified.Headers.ETag?.ToString());
        Assert.Equal(HttpCacheStatus.Hit, CacheStatus(notModified));
        Assert.Equal(1, _runs);
    }
}
