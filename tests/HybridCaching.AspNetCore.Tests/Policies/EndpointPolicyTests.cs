using System.Net;
using HybridCaching.Http;
using HybridCaching.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using static HybridCaching.AspNetCore.Tests.TestHelpers;

namespace HybridCaching.AspNetCore.Tests.Policies;

/// <summary>Endpoint policies: opting in per endpoint, named policies, the attribute, per-policy durations.</summary>
public sealed class EndpointPolicyTests : IAsyncDisposable
{
    private readonly FakeTimeProvider _time = new();
    private readonly MemoryCache _cache;

    public EndpointPolicyTests() => _cache = new MemoryCache(10_000, 1 << 26, TimeSpan.Zero, _time);

    public ValueTask DisposeAsync() => _cache.DisposeAsync();

    private HybridResponseCachingOptions Options(Action<HybridResponseCachingOptions>? configure = null)
    {
        var options = new HybridResponseCachingOptions { Cache = _cache, TimeProvider = _time, FreshFor = TimeSpan.FromMinutes(1), Ttl = TimeSpan.FromHours(1) };
        configure?.Invoke(options);
        return options;
    }

    private static Task<(string? Status, string Body)> GetAsync(TestApp app, string path) => app.Client.GetStatusAndBodyAsync(path);

    [Fact]
    public async Task Middleware_EndpointsOnlyAndNoPolicy_LeavesEndpointUntouched()
    {
        int runs = 0;
        await using var app = await TestApp.StartAsync(
            Options(o => o.EndpointsOnly = true),
            app => app.MapGet("/plain", () => $"run {Interlocked.Increment(ref runs)}"));

        var first = await GetAsync(app, "/plain");
        var second = await GetAsync(app, "/plain");

        Assert.Equal((null, "run 1"), first);
        Assert.Equal((null, "run 2"), second);
        Assert.Null(await _cache.GetAsync("http://localhost/plain"));
    }

    [Fact]
    public async Task Middleware_EndpointsOnlyAndNoEndpoint_PassesThroughUntouched()
    {
        int runs = 0;
        await using var app = await TestApp.StartAsync(
            Options(o => o.EndpointsOnly = true),
            app => app.Run(context => context.Response.WriteAsync($"run {Interlocked.Increment(ref runs)}")));

        Assert.Equal((null, "run 1"), await GetAsync(app, "/terminal"));
        Assert.Equal((null, "run 2"), await GetAsync(app, "/terminal"));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Middleware_PlacedBeforeRoutingWithEndpointPolicy_WarnsOnceInEitherMode(bool endpointsOnly)
    {
        int runs = 0;
        await using var app = await TestApp.StartAsync(
            Options(o => o.EndpointsOnly = endpointsOnly),
            app =>
            {
                app.UseRouting(); // after the cache: the middleware cannot see the endpoint's policy
                app.MapGet("/policy", () => $"run {Interlocked.Increment(ref runs)}").CacheHybridResponse();
            },
            services: s => s.AddLogging(b => b.AddFakeLogging()));

        Assert.Equal("run 1", (await GetAsync(app, "/policy")).Body);
        Assert.Equal("run 2", (await GetAsync(app, "/policy")).Body);

        var warnings = app.Services.GetFakeLogCollector().GetSnapshot().Where(r => r.Id.Id == 4005).ToList();
        var warning = Assert.Single(warnings);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains("UseRouting()", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Middleware_EndpointsOnlyAndDefaultConvention_CachesWithMiddlewareDefaults()
    {
        int runs = 0;
        await using var app = await TestApp.StartAsync(
            Options(o => o.EndpointsOnly = true),
            app => app.MapGet("/opted", () => $"run {Interlocked.Increment(ref runs)}").CacheHybridResponse());

        Assert.Equal((HttpCacheStatus.Miss, "run 1"), await GetAsync(app, "/opted"));
        Assert.Equal((HttpCacheStatus.Hit, "run 1"), await GetAsync(app, "/opted"));
        _time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(HttpCacheStatus.Stale, (await GetAsync(app, "/opted")).Status);
    }

    [Fact]
    public async Task Middleware_GlobalModeWithoutPolicy_CachesEverythingAsBefore()
    {
        int runs = 0;
        await using var app = await TestApp.StartAsync(
            Options(),
            app => app.MapGet("/global", () => $"run {Interlocked.Increment(ref runs)}"));

        Assert.Equal((HttpCacheStatus.Miss, "run 1"), await GetAsync(app, "/global"));
        Assert.Equal((HttpCacheStatus.Hit, "run 1"), await GetAsync(app, "/global"));
    }

    [Fact]
    public async Task Middleware_NamedPolicy_AppliesItsFreshFor()
    {
        int runs = 0;
        await using var app = await TestApp.StartAsync(
            Options(o => o.AddPolicy("short", p =>
            {
                p.FreshFor = TimeSpan.FromSeconds(10);
                p.Ttl = TimeSpan.FromMinutes(2);
            })),
            app =>
            {
                app.MapGet("/short", () => $"short {Interlocked.Increment(ref runs)}").CacheHybridResponse("short");
                app.MapGet("/default", () => $"default {Interlocked.Increment(ref runs)}");
            });

        await GetAsync(app, "/short");
        await GetAsync(app, "/default");
        _time.Advance(TimeSpan.FromSeconds(30));
        var shortAfter30s = await GetAsync(app, "/short");
        var defaultAfter30s = await GetAsync(app, "/default");

        Assert.Equal((HttpCacheStatus.Stale, "short 1"), shortAfter30s);
        Assert.Equal((HttpCacheStatus.Hit, "default 2"), defaultAfter30s);
    }

    [Fact]
    public async Task Middleware_InlinePolicyTtl_EntryExpiresAfterIt()
    {
        int runs = 0;
        await using var app = await TestApp.StartAsync(
            Options(),
            app =>
            {
                app.MapGet("/ttl", () => $"run {Interlocked.Increment(ref runs)}").CacheHybridResponse(p => p.Ttl = TimeSpan.FromMinutes(2));
                app.MapGet("/default", () => $"default {Interlocked.Increment(ref runs)}");
            });

        await GetAsync(app, "/ttl");
        await GetAsync(app, "/default");
        _time.Advance(TimeSpan.FromMinutes(2) + TimeSpan.FromSeconds(1));
        var afterTtl = await GetAsync(app, "/ttl");
        var defaultAfterTwoMinutes = await GetAsync(app, "/default");

        Assert.Equal((HttpCacheStatus.Miss, "run 3"), afterTtl);
        Assert.Equal((HttpCacheStatus.Stale, "default 2"), defaultAfterTwoMinutes);
    }

    [Fact]
    public async Task Middleware_PolicyWaitFor_TimesOutAtItsOwnWaitFor()
    {
        int runs = 0;
        await using var app = await TestApp.StartAsync(
            Options(o => o.WaitFor = TimeSpan.FromMinutes(5)),
            app => app.MapGet("/slow", async (HttpContext context) =>
            {
                Interlocked.Increment(ref runs);
                await Task.Delay(Timeout.Infinite, context.RequestAborted);
            }).CacheHybridResponse(p => p.WaitFor = TimeSpan.FromSeconds(2)));

        var request = app.Client.GetAsync("/slow");
        await EventuallyAsync(() => Volatile.Read(ref runs) == 1);
        _time.Advance(TimeSpan.FromSeconds(2));
        using var response = await request;

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
    }

    [Fact]
    public async Task Middleware_AttributeOnHandler_CachesWithItsFreshFor()
    {
        int runs = 0;
        await using var app = await TestApp.StartAsync(
            Options(o => o.EndpointsOnly = true),
            app => app.MapGet("/attr", [CacheHybridResponse(10)] () => $"run {Interlocked.Increment(ref runs)}"));

        var first = await GetAsync(app, "/attr");
        var second = await GetAsync(app, "/attr");
        _time.Advance(TimeSpan.FromSeconds(10));
        var third = await GetAsync(app, "/attr");

        Assert.Equal((HttpCacheStatus.Miss, "run 1"), first);
        Assert.Equal((HttpCacheStatus.Hit, "run 1"), second);
        Assert.Equal(HttpCacheStatus.Stale, third.Status);
    }

    [Fact]
    public async Task Middleware_AttributeWithPolicyName_StartsFromTheNamedPolicy()
    {
        int runs = 0;
        await using var app = await TestApp.StartAsync(
            Options(o =>
            {
                o.EndpointsOnly = true;
                o.AddPolicy("by-q", p => p.VaryByQuery.Add("q"));
            }),
            app => app.MapGet("/named-attr", [CacheHybridResponse(PolicyName = "by-q")] () => $"run {Interlocked.Increment(ref runs)}"));

        var first = await GetAsync(app, "/named-attr?q=1&ignored=a");
        var second = await GetAsync(app, "/named-attr?ignored=b&q=1");

        Assert.Equal((HttpCacheStatus.Hit, "run 1"), second);
        Assert.Equal(HttpCacheStatus.Miss, first.Status);
    }

    [Fact]
    public async Task Middleware_LastPolicyMetadataOfEndpoint_Wins()
    {
        int runs = 0;
        await using var app = await TestApp.StartAsync(
            Options(o => o.EndpointsOnly = true),
            app => app.MapGet("/last", [CacheHybridResponse(600)] () => $"run {Interlocked.Increment(ref runs)}")
                .CacheHybridResponse(p => p.FreshFor = TimeSpan.FromSeconds(5)));

        await GetAsync(app, "/last");
        _time.Advance(TimeSpan.FromSeconds(5));

        Assert.Equal(HttpCacheStatus.Stale, (await GetAsync(app, "/last")).Status);
    }

    [Fact]
    public async Task Middleware_UnknownPolicyName_ThrowsOnFirstRequest()
    {
        Exception? caught = null;
        await using var app = await TestApp.StartAsync(
            Options(),
            app => app.MapGet("/unknown", () => "never").CacheHybridResponse("missing-policy"),
            outer: async (context, next) =>
            {
                try
                {
                    await next(context);
                }
                catch (Exception ex)
                {
                    caught = ex;
                    context.Response.StatusCode = StatusCodes.Status500InternalServerError;
                }
            });

        using var response = await app.Client.GetAsync("/unknown");

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        var exception = Assert.IsType<InvalidOperationException>(caught);
        Assert.Contains("'missing-policy'", exception.Message, StringComparison.Ordinal);
        Assert.Contains("AddPolicy", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddPolicy_SameNameTwice_Throws()
    {
        var options = new HybridResponseCachingOptions().AddPolicy("p", _ => { });

        Assert.Throws<ArgumentException>(() => options.AddPolicy("P", _ => { }));
    }

    [Fact]
    public void AddPolicy_NonPositiveDuration_Throws()
        => Assert.Throws<InvalidOperationException>(() => new HybridResponseCachingOptions().AddPolicy("p", p => p.FreshFor = TimeSpan.Zero));

    [Fact]
    public void CacheHybridResponse_EmptyTag_Throws()
    {
        var builder = WebApplication.CreateSlimBuilder().Build();

        Assert.Throws<InvalidOperationException>(() => builder.MapGet("/x", () => "x").CacheHybridResponse(p => p.Tags.Add("")));
    }

    [Fact]
    public async Task AddHybridResponseCaching_PoliciesFromDi_AppliedByParameterlessUse()
    {
        int runs = 0;
        await using var app = await TestApp.StartAsync(
            options: null,
            app =>
            {
                app.UseHybridResponseCaching();
                app.MapGet("/di", () => $"run {Interlocked.Increment(ref runs)}").CacheHybridResponse("from-di");
                app.MapGet("/di-plain", () => $"plain {Interlocked.Increment(ref runs)}");
            },
            services: s => s.AddSingleton<ICacheAdapter>(_cache).AddSingleton<TimeProvider>(_time).AddHybridResponseCaching(o =>
            {
                o.EndpointsOnly = true;
                o.AddPolicy("from-di", p => p.FreshFor = TimeSpan.FromSeconds(3));
            }));

        await GetAsync(app, "/di");
        _time.Advance(TimeSpan.FromSeconds(3));

        Assert.Equal(HttpCacheStatus.Stale, (await GetAsync(app, "/di")).Status);
        Assert.Null((await GetAsync(app, "/di-plain")).Status);
    }
}
