using System.Net;
using HybridCaching.Http;
using HybridCaching.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Microsoft.Net.Http.Headers;
using static HybridCaching.AspNetCore.Tests.TestHelpers;

namespace HybridCaching.AspNetCore.Tests.Policies;

/// <summary>Keys that vary by chosen request values, and responses that vary by request headers (<c>Vary</c>).</summary>
public sealed class VaryTests : IAsyncDisposable
{
    private readonly FakeTimeProvider _time = new();
    private readonly MemoryCache _cache;
    private int _runs;

    public VaryTests() => _cache = new MemoryCache(10_000, 1 << 26, TimeSpan.Zero, _time);

    public ValueTask DisposeAsync() => _cache.DisposeAsync();

    private HybridResponseCachingOptions Options(Action<HybridResponseCachingOptions>? configure = null)
    {
        var options = new HybridResponseCachingOptions { Cache = _cache, TimeProvider = _time };
        configure?.Invoke(options);
        return options;
    }

    private static Task<(string? Status, string Body)> GetAsync(TestApp app, string path, params (string Name, string Value)[] headers)
        => app.Client.GetStatusAndBodyAsync(path, headers);

    private Task<TestApp> StartLanguageAppAsync(Func<HttpContext, RequestDelegate, Task>? outer = null, Task? gate = null)
        => TestApp.StartAsync(
            Options(),
            app => app.MapGet("/lang", async (HttpContext context) =>
            {
                int n = Interlocked.Increment(ref _runs);
                if (gate is not null && context.Request.Headers.AcceptLanguage == "en")
                {
                    await gate;
                }

                context.Response.Headers.Vary = "Accept-Language";
                await context.Response.WriteAsync($"{context.Request.Headers.AcceptLanguage} {n}");
            }),
            outer: outer);

    private Task<TestApp> StartTenantAppAsync(Action<HybridResponseCachingOptions>? configure = null)
        => TestApp.StartAsync(
            Options(configure),
            app => app.MapGet("/tenant", (HttpContext c) => $"{c.Request.Headers["X-Tenant"]} {Interlocked.Increment(ref _runs)}")
                .CacheHybridResponse(p => p.VaryByHeader.Add("x-tenant")));

    [Fact]
    public async Task Middleware_VaryByQuery_OrderAndOtherParametersIgnored()
    {
        await using var app = await TestApp.StartAsync(
            Options(),
            app => app.MapGet("/q", (HttpContext c) => $"{c.Request.QueryString} {Interlocked.Increment(ref _runs)}")
                .CacheHybridResponse(p =>
                {
                    p.VaryByQuery.Add("b");
                    p.VaryByQuery.Add("A");
                }));

        var first = await GetAsync(app, "/q?a=1&b=2");
        var reordered = await GetAsync(app, "/q?b=2&utm=x&a=1");
        var otherValue = await GetAsync(app, "/q?a=1&b=3");

        Assert.Equal(HttpCacheStatus.Miss, first.Status);
        Assert.Equal((HttpCacheStatus.Hit, first.Body), reordered);
        Assert.Equal(HttpCacheStatus.Miss, otherValue.Status);
        Assert.Equal(2, _runs);
    }

    [Fact]
    public async Task Middleware_VaryByQueryValueLookingLikeTwoParameters_DoesNotCollide()
    {
        await using var app = await TestApp.StartAsync(
            Options(),
            app => app.MapGet("/inject", (HttpContext c) => $"{c.Request.QueryString} {Interlocked.Increment(ref _runs)}")
                .CacheHybridResponse(p =>
                {
                    p.VaryByQuery.Add("a");
                    p.VaryByQuery.Add("b");
                }));

        var two = await GetAsync(app, "/inject?a=1&b=2");
        var one = await GetAsync(app, "/inject?a=" + Uri.EscapeDataString("1&b=2"));
        var missingVsEmpty = await GetAsync(app, "/inject?a=1&b=");
        var missing = await GetAsync(app, "/inject?a=1");

        Assert.All([two, one, missingVsEmpty, missing], r => Assert.Equal(HttpCacheStatus.Miss, r.Status));
        Assert.Equal(4, _runs);
    }

    [Fact]
    public async Task Middleware_VaryByHeader_EachValueItsOwnEntry()
    {
        await using var app = await StartTenantAppAsync();

        var a = await GetAsync(app, "/tenant", ("X-Tenant", "a"));
        var b = await GetAsync(app, "/tenant", ("X-Tenant", "b"));
        var aAgain = await GetAsync(app, "/tenant", ("X-Tenant", "a"));

        Assert.Equal((HttpCacheStatus.Miss, "a 1"), a);
        Assert.Equal((HttpCacheStatus.Miss, "b 2"), b);
        Assert.Equal((HttpCacheStatus.Hit, "a 1"), aAgain);
    }

    [Fact]
    public async Task Middleware_VaryByHeaderLongValue_KeyNameStaysShort()
    {
        await using var app = await TestApp.StartAsync(
            Options(),
            app => app.MapGet("/tenant", (HttpContext c) => $"{c.Request.Headers["X-Tenant"].ToString().Length} {Interlocked.Increment(ref _runs)}")
                .CacheHybridResponse(p => p.VaryByHeader.Add("x-tenant")));
        string longValue = new('a', 8000);
        string otherLongValue = new string('a', 7999) + "b";

        var first = await GetAsync(app, "/tenant", ("X-Tenant", longValue));
        var again = await GetAsync(app, "/tenant", ("X-Tenant", longValue));
        var other = await GetAsync(app, "/tenant", ("X-Tenant", otherLongValue));
        await GetAsync(app, "/tenant", ("X-Tenant", "acme"));

        Assert.Equal((HttpCacheStatus.Miss, "8000 1"), first);
        Assert.Equal((HttpCacheStatus.Hit, "8000 1"), again);
        Assert.Equal((HttpCacheStatus.Miss, "8000 2"), other);
        string hashed = "http://localhost/tenant h:x-tenant=#" + VaryKey.Digest(longValue);
        Assert.Equal(79, hashed.Length); // was 8,035 characters
        Assert.NotNull(await _cache.GetAsync(hashed));
        Assert.NotNull(await _cache.GetAsync("http://localhost/tenant h:x-tenant=acme")); // short values: the key as before
    }

    [Fact]
    public async Task Middleware_ResponseVaryBeyondMaximumVariants_AnsweredButNotStored()
    {
        await using var app = await TestApp.StartAsync(
            Options(o => o.MaximumVariants = 2),
            app => app.MapGet("/lang", async (HttpContext context) =>
            {
                int n = Interlocked.Increment(ref _runs);
                context.Response.Headers.Vary = "Accept-Language";
                await context.Response.WriteAsync($"{context.Request.Headers.AcceptLanguage} {n}");
            }),
            services: s => s.AddLogging(b => b.AddFakeLogging()));

        foreach (var language in new[] { "en", "fr", "de", "it" })
        {
            Assert.Equal(HttpCacheStatus.Miss, (await GetAsync(app, "/lang", ("Accept-Language", language))).Status);
        }

        // en under the key itself, fr and de as its two variants; it was answered but not stored.
        Assert.Equal((HttpCacheStatus.Miss, "it 5"), await GetAsync(app, "/lang", ("Accept-Language", "it")));
        Assert.Equal((HttpCacheStatus.Hit, "fr 2"), await GetAsync(app, "/lang", ("Accept-Language", "fr")));
        Assert.Equal((HttpCacheStatus.Hit, "de 3"), await GetAsync(app, "/lang", ("Accept-Language", "de")));
        Assert.Single(app.Services.GetFakeLogCollector().GetSnapshot(), r => r.Id.Id == 4006);

        // Once the stored variants have expired, their places are free again.
        _time.Advance(TimeSpan.FromHours(1) + TimeSpan.FromSeconds(1));
        Assert.Equal((HttpCacheStatus.Miss, "it 6"), await GetAsync(app, "/lang", ("Accept-Language", "it")));
        Assert.Equal((HttpCacheStatus.Miss, "es 7"), await GetAsync(app, "/lang", ("Accept-Language", "es")));
        Assert.Equal((HttpCacheStatus.Miss, "fr 8"), await GetAsync(app, "/lang", ("Accept-Language", "fr")));
        Assert.Equal((HttpCacheStatus.Hit, "es 7"), await GetAsync(app, "/lang", ("Accept-Language", "es")));
    }

    [Fact]
    public async Task Middleware_VaryByHeaderBeyondMaximumVariants_AnsweredButNotStored()
    {
        await using var app = await StartTenantAppAsync(o => o.MaximumVariants = 2);

        await GetAsync(app, "/tenant", ("X-Tenant", "a"));
        await GetAsync(app, "/tenant", ("X-Tenant", "b"));
        var c = await GetAsync(app, "/tenant", ("X-Tenant", "c"));
        var cAgain = await GetAsync(app, "/tenant", ("X-Tenant", "c"));
        var aAgain = await GetAsync(app, "/tenant", ("X-Tenant", "a"));

        Assert.Equal((HttpCacheStatus.Miss, "c 3"), c);
        Assert.Equal((HttpCacheStatus.Miss, "c 4"), cAgain);
        Assert.Equal((HttpCacheStatus.Hit, "a 1"), aAgain);
        Assert.Null(await _cache.GetAsync("http://localhost/tenant h:x-tenant=c"));
    }

    [Fact]
    public async Task UseHybridResponseCaching_MaximumVariantsNotPositive_Throws()
        => await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => TestApp.StartAsync(Options(o => o.MaximumVariants = 0), _ => { }));

    [Fact]
    public async Task Middleware_PlacedBeforeRoutingWithEndpointPolicy_NeitherStoresNorSharesResponses()
    {
        await using var app = await TestApp.StartAsync(
            Options(),
            app =>
            {
                app.UseRouting(); // after the cache: the middleware cannot see the endpoint's vary settings
                app.MapGet("/tenant", (HttpContext c) => $"{c.Request.Headers["X-Tenant"]} {Interlocked.Increment(ref _runs)}")
                    .CacheHybridResponse(p => p.VaryByHeader.Add("x-tenant"));
            });

        var a = await GetAsync(app, "/tenant", ("X-Tenant", "a"));
        var b = await GetAsync(app, "/tenant", ("X-Tenant", "b"));
        var aAgain = await GetAsync(app, "/tenant", ("X-Tenant", "a"));

        Assert.Equal("a 1", a.Body);
        Assert.Equal("b 2", b.Body); // tenant a's response, keyed by the URL alone, is not served to b
        Assert.Equal("a 3", aAgain.Body);
        Assert.Null(await _cache.GetAsync("http://localhost/tenant"));
    }

    [Fact]
    public async Task Middleware_VaryByRouteValueWithCustomKey_EachValueItsOwnEntry()
    {
        await using var app = await TestApp.StartAsync(
            Options(o => o.RequestKey = _ => "items"),
            app => app.MapGet("/items/{id}", (string id) => $"{id} {Interlocked.Increment(ref _runs)}")
                .CacheHybridResponse(p => p.VaryByRouteValue.Add("id")));

        var one = await GetAsync(app, "/items/1");
        var two = await GetAsync(app, "/items/2");
        var oneAgain = await GetAsync(app, "/items/1");

        Assert.Equal((HttpCacheStatus.Miss, "1 1"), one);
        Assert.Equal((HttpCacheStatus.Miss, "2 2"), two);
        Assert.Equal((HttpCacheStatus.Hit, "1 1"), oneAgain);
        Assert.NotNull(await _cache.GetAsync("items r:id=1"));
    }

    [Fact]
    public async Task Middleware_ResponseVary_EachLanguageGetsItsOwnResponse()
    {
        await using var app = await StartLanguageAppAsync();

        var en = await GetAsync(app, "/lang", ("Accept-Language", "en"));
        var fr = await GetAsync(app, "/lang", ("Accept-Language", "fr"));
        var enAgain = await GetAsync(app, "/lang", ("Accept-Language", "en"));
        var frAgain = await GetAsync(app, "/lang", ("Accept-Language", "fr"));
        var none = await GetAsync(app, "/lang");

        Assert.Equal((HttpCacheStatus.Miss, "en 1"), en);
        Assert.Equal((HttpCacheStatus.Miss, "fr 2"), fr);
        Assert.Equal((HttpCacheStatus.Hit, "en 1"), enAgain);
        Assert.Equal((HttpCacheStatus.Hit, "fr 2"), frAgain);
        Assert.Equal((HttpCacheStatus.Miss, " 3"), none);
        Assert.Equal(3, _runs);
    }

    [Fact]
    public async Task Middleware_ResponseVaryStaleHit_RefreshStoresTheVariantOfTheRecordedRequest()
    {
        await using var app = await StartLanguageAppAsync();
        await GetAsync(app, "/lang", ("Accept-Language", "en"));
        _time.Advance(TimeSpan.FromMinutes(1));

        var stale = await GetAsync(app, "/lang", ("Accept-Language", "en"));
        await EventuallyAsync(async () => StoredBody(await _cache.GetAsync("http://localhost/lang")) == "en 2");
        var refreshed = await GetAsync(app, "/lang", ("Accept-Language", "en"));
        var fr = await GetAsync(app, "/lang", ("Accept-Language", "fr"));

        Assert.Equal((HttpCacheStatus.Stale, "en 1"), stale);
        Assert.Equal((HttpCacheStatus.Hit, "en 2"), refreshed);
        Assert.Equal((HttpCacheStatus.Miss, "fr 3"), fr);
    }

    [Fact]
    public async Task Middleware_ResponseVaryWithWaiterOfOtherVariant_WaiterGetsItsOwnResponse()
    {
        int entered = 0;
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var app = await StartLanguageAppAsync(
            outer: async (context, next) =>
            {
                var pending = next(context);
                Interlocked.Increment(ref entered);
                await pending;
            },
            gate: gate.Task);

        var leader = GetAsync(app, "/lang", ("Accept-Language", "en"));
        await EventuallyAsync(() => Volatile.Read(ref _runs) == 1);
        var waiter = GetAsync(app, "/lang", ("Accept-Language", "fr"));
        await EventuallyAsync(() => Volatile.Read(ref entered) == 2);
        gate.SetResult();

        Assert.Equal("en 1", (await leader).Body);
        Assert.Equal("fr 2", (await waiter).Body);
        Assert.Equal((HttpCacheStatus.Hit, "fr 2"), await GetAsync(app, "/lang", ("Accept-Language", "fr")));
    }

    [Fact]
    public async Task Middleware_HeadWithResponseVary_AnsweredOnlyFromMatchingVariant()
    {
        await using var app = await StartLanguageAppAsync();
        await GetAsync(app, "/lang", ("Accept-Language", "en"));
        await GetAsync(app, "/lang", ("Accept-Language", "fr"));

        using var frHead = new HttpRequestMessage(HttpMethod.Head, "/lang");
        frHead.Headers.AcceptLanguage.ParseAdd("fr");
        using var frResponse = await app.Client.SendAsync(frHead);
        using var deHead = new HttpRequestMessage(HttpMethod.Head, "/lang");
        deHead.Headers.AcceptLanguage.ParseAdd("de");
        using var deResponse = await app.Client.SendAsync(deHead);

        Assert.Equal(HttpCacheStatus.Hit, CacheStatus(frResponse));
        Assert.Equal(4, frResponse.Content.Headers.ContentLength);
        Assert.Equal(HttpCacheStatus.Miss, CacheStatus(deResponse)); // passed through (MapGet does not answer HEAD)
        Assert.Equal(2, _runs);
    }

    [Theory]
    [InlineData("en")]
    [InlineData("fr")]
    public async Task Middleware_ForeignEntryWithVary_IsNeverServed(string language)
    {
        // As the Go original writes it: Vary stored, but no record of the request it answered.
        await _cache.SetAsync("http://localhost/lang", GoHttpEntries.Payload(_time.GetUtcNow() + TimeSpan.FromMinutes(1), "from go", 200, ("Vary", "Accept-Language")), TimeSpan.FromHours(1));
        await using var app = await StartLanguageAppAsync();

        var response = await GetAsync(app, "/lang", ("Accept-Language", language));
        using var head = new HttpRequestMessage(HttpMethod.Head, "/lang");
        head.Headers.AcceptLanguage.ParseAdd(language == "en" ? "fr" : "en");
        using var headResponse = await app.Client.SendAsync(head);

        Assert.Equal((HttpCacheStatus.Miss, $"{language} 1"), response);
        Assert.Equal(HttpCacheStatus.Miss, CacheStatus(headResponse));
    }

    [Fact]
    public async Task Middleware_VariantWhoseVaryChanged_IsNotServedToMismatchingRequest()
    {
        var bestBefore = _time.GetUtcNow() + TimeSpan.FromMinutes(1);
        await _cache.SetAsync("http://localhost/lang", Stored("base en", bestBefore, ("Vary", "Accept-Language"), (ResponseVary.MarkerHeader, Marker("Accept-Language", ("Accept-Language", "en")))), TimeSpan.FromHours(1));
        // The variant for "fr" was written when the response also varied by X-Device, for a phone.
        await _cache.SetAsync(
            ResponseVary.VariantKey("http://localhost/lang", Marker("Accept-Language", ("Accept-Language", "fr"))),
            Stored("fr phone", bestBefore, ("Vary", "Accept-Language, X-Device"), (ResponseVary.MarkerHeader, Marker("Accept-Language, X-Device", ("Accept-Language", "fr"), ("X-Device", "phone")))),
            TimeSpan.FromHours(1));
        await using var app = await StartLanguageAppAsync();

        var desktop = await GetAsync(app, "/lang", ("Accept-Language", "fr"), ("X-Device", "desktop"));
        var phone = await GetAsync(app, "/lang", ("Accept-Language", "fr"), ("X-Device", "phone"));
        var en = await GetAsync(app, "/lang", ("Accept-Language", "en"));

        Assert.Equal((HttpCacheStatus.Miss, "fr 1"), desktop);
        Assert.Equal((HttpCacheStatus.Hit, "fr phone"), phone);
        Assert.Equal((HttpCacheStatus.Hit, "base en"), en);
    }

    [Fact]
    public async Task Middleware_EntryUnderVariantKeyNotStoredForThatVariant_IsNeverServed()
    {
        var bestBefore = _time.GetUtcNow() + TimeSpan.FromMinutes(1);
        await _cache.SetAsync("http://localhost/lang", Stored("base en", bestBefore, ("Vary", "Accept-Language"), (ResponseVary.MarkerHeader, Marker("Accept-Language", ("Accept-Language", "en")))), TimeSpan.FromHours(1));
        // Another key that happens to equal the "fr" variant's key (a custom RequestKey could produce one): no Vary, no marker.
        await _cache.SetAsync(ResponseVary.VariantKey("http://localhost/lang", Marker("Accept-Language", ("Accept-Language", "fr"))), Stored("not a variant", bestBefore), TimeSpan.FromHours(1));
        await using var app = await StartLanguageAppAsync();

        var get = await GetAsync(app, "/lang", ("Accept-Language", "fr"));
        using var head = new HttpRequestMessage(HttpMethod.Head, "/lang");
        head.Headers.TryAddWithoutValidation("Accept-Language", "fr");
        using var headResponse = await app.Client.SendAsync(head);

        Assert.Equal("fr 1", get.Body); // the pipeline's answer, not the colliding entry
        Assert.NotEqual(HttpCacheStatus.Hit, CacheStatus(headResponse));
    }

    // The marker the middleware computes for a response with this Vary and a request with these headers.
    private static string Marker(string vary, params (string Name, string Value)[] requestHeaders)
    {
        var context = new DefaultHttpContext();
        foreach (var (name, value) in requestHeaders)
        {
            context.Request.Headers[name] = value;
        }

        return ResponseVary.Marker(new HeaderDictionary { [HeaderNames.Vary] = vary }, context.Request)!;
    }

    private static string? StoredBody(byte[]? stored)
        => stored is not null && CachePayload.TryRead(stored, out var payload) ? System.Text.Encoding.UTF8.GetString(payload.Value) : null;

    private static byte[] Stored(string body, DateTimeOffset bestBefore, params (string Name, string Value)[] headers)
        => CachedHttpResponseFormat.VaryAllowed.Write(
            new CachedHttpResponse(200, headers.Select(h => new KeyValuePair<string, string[]>(h.Name, [h.Value])), System.Text.Encoding.UTF8.GetBytes(body)),
            bestBefore);
}
