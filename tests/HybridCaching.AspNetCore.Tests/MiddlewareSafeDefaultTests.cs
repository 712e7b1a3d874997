using System.Net.Http.Headers;
using System.Security.Claims;
using HybridCaching.Http;
using HybridCaching.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Time.Testing;
using Microsoft.Net.Http.Headers;
using static HybridCaching.AspNetCore.Tests.TestHelpers;

namespace HybridCaching.AspNetCore.Tests;

public sealed class MiddlewareSafeDefaultTests : IAsyncDisposable
{
    private readonly FakeTimeProvider _time = new();
    private readonly MemoryCache _cache;

    public MiddlewareSafeDefaultTests() => _cache = new MemoryCache(10_000, 1 << 26, TimeSpan.Zero, _time);

    public ValueTask DisposeAsync() => _cache.DisposeAsync();

    private HybridResponseCachingOptions Options(Action<HybridResponseCachingOptions>? configure = null)
    {
        var options = new HybridResponseCachingOptions { Cache = _cache, TimeProvider = _time };
        configure?.Invoke(options);
        return options;
    }

    // SPEC §9, the Go suite's HTTP table.
    [Fact]
    public async Task Middleware_GoHttpTable_MatchesEveryRow()
    {
        int counter = 0;
        int runs = 0;
        await using var app = await TestApp.StartAsync(
            Options(o =>
            {
                o.RequestKey = context => context.Request.Path + "?" + string.Join('&', context.Request.Query.OrderBy(q => q.Key, StringComparer.Ordinal).Select(q => q.Key + "=" + q.Value));
                o.AcceptResponse = (_, response) => !System.Text.Encoding.UTF8.GetString(response.Body.Span).Contains("value 8", StringComparison.Ordinal);
            }),
            app => app.Run(context =>
            {
                Interlocked.Increment(ref runs);
                return context.Response.WriteAsync($"value {Volatile.Read(ref counter)}");
            }));

        (string Method, string Path, string Expected)[] rows =
        [
            ("GET", "/test-1", "value 1"),
            ("GET", "/test-2", "value 2"),
            ("GET", "/test-2", "value 2"),
            ("GET", "/test-3?zaz=baz&baz=zaz", "value 4"),
            ("GET", "/test-3?baz=zaz&zaz=baz", "value 4"),
            ("POST", "/test-3", "value 6"),
            ("POST", "/test-3", "value 7"),
            ("GET", "/test-3", "value 8"),
            ("GET", "/test-3", "value 9"),
        ];
        foreach (var (method, path, expected) in rows)
        {
            Interlocked.Increment(ref counter);
            using var request = new HttpRequestMessage(new HttpMethod(method), path);
            using var response = await app.Client.SendAsync(request);
            Assert.Equal(expected, await response.Content.ReadAsStringAsync());
        }

        Assert.Equal(7, runs);
    }

    [Fact]
    public async Task Middleware_Post_IsNeverCached()
    {
        var (runs, app) = await StartCountingAsync(_ => { });
        await using (app)
        {
            using var first = await app.Client.PostAsync("/r", new StringContent("x"));
            using var second = await app.Client.PostAsync("/r", new StringContent("x"));

            Assert.Equal("body 2", await second.Content.ReadAsStringAsync());
            Assert.Null(CacheStatus(second));
            Assert.Equal(2, runs.Value);
        }
    }

    [Fact]
    public async Task Middleware_AuthorizationHeader_PassesThroughUncached()
    {
        var (runs, app) = await StartCountingAsync(_ => { });
        await using (app)
        {
            app.Client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "token");
            using var first = await app.Client.GetAsync("/r");
            using var second = await app.Client.GetAsync("/r");

            Assert.Equal("body 2", await second.Content.ReadAsStringAsync());
            Assert.Null(CacheStatus(second));
            Assert.Null(await _cache.GetAsync("http://localhost/r"));
        }
    }

    [Fact]
    public async Task Middleware_AuthenticatedUser_PassesThroughUncached()
    {
        var (runs, app) = await StartCountingAsync(
            _ => { },
            outer: (context, next) =>
            {
                context.User = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Name, "ann")], authenticationType: "Test"));
                return next(context);
            });
        await using (app)
        {
            using var first = await app.Client.GetAsync("/r");
            using var second = await app.Client.GetAsync("/r");

            Assert.Equal("body 2", await second.Content.ReadAsStringAsync());
            Assert.Null(CacheStatus(second));
            Assert.Equal(2, runs.Value);
        }
    }

    [Fact]
    public Task Middleware_SetCookieResponse_IsNotStored()
        => AssertNotStoredAsync(response => response.Cookies.Append("session", "abc"));

    [Fact]
    public Task Middleware_NoStoreResponse_IsNotStored()
        => AssertNotStoredAsync(response => response.Headers.CacheControl = "no-store");

    [Fact]
    public Task Middleware_PrivateResponse_IsNotStored()
        => AssertNotStoredAsync(response => response.Headers.CacheControl = "private, max-age=60");

    [Fact]
    public Task Middleware_ServerError_IsNotStored()
        => AssertNotStoredAsync(response => response.StatusCode = StatusCodes.Status500InternalServerError);

    [Fact]
    public Task Middleware_VaryStarResponse_IsNotStored()
        => AssertNotStoredAsync(response => response.Headers.Vary = "Accept-Encoding, *");

    [Fact]
    public Task Middleware_NotModifiedResponse_IsNotStored()
        => AssertNotStoredAsync(response => response.StatusCode = StatusCodes.Status304NotModified, expectBody: false);

    [Fact]
    public async Task Middleware_AcceptRequestRefuses_PassesThroughUncached()
    {
        var (runs, app) = await StartCountingAsync(_ => { }, configure: o => o.AcceptRequest = context => !context.Request.Path.StartsWithSegments("/r"));
        await using (app)
        {
            using var first = await app.Client.GetAsync("/r");
            using var second = await app.Client.GetAsync("/r");

            Assert.Null(CacheStatus(second));
            Assert.Equal(2, runs.Value);
        }
    }

    private async Task AssertNotStoredAsync(Action<HttpResponse> shape, bool expectBody = true)
    {
        var (runs, app) = await StartCountingAsync(shape);
        await using (app)
        {
            using var first = await app.Client.GetAsync("/r");
            using var second = await app.Client.GetAsync("/r");

            if (expectBody)
            {
                Assert.Equal("body 2", await second.Content.ReadAsStringAsync());
            }

            Assert.Equal(HttpCacheStatus.Miss, CacheStatus(second));
            Assert.Equal(2, runs.Value);
            Assert.Null(await _cache.GetAsync("http://localhost/r"));
        }
    }

    private async Task<(Counter Runs, TestApp App)> StartCountingAsync(
        Action<HttpResponse> shape,
        Func<HttpContext, RequestDelegate, Task>? outer = null,
        Action<HybridResponseCachingOptions>? configure = null)
    {
        var runs = new Counter();
        var app = await TestApp.StartAsync(
            Options(configure),
            app => app.Run(context =>
            {
                int n = Interlocked.Increment(ref runs.Value);
                shape(context.Response);
                return context.Response.StatusCode == StatusCodes.Status304NotModified
                    ? Task.CompletedTask
                    : context.Response.WriteAsync($"body {n}");
            }),
            outer: outer);
        return (runs, app);
    }

    private sealed class Counter
    {
        public int Value;
    }
}
