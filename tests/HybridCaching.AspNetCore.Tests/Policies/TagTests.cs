using HybridCaching.Http;
using HybridCaching.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using static HybridCaching.AspNetCore.Tests.TestHelpers;

namespace HybridCaching.AspNetCore.Tests.Policies;

/// <summary>Policy tags, and evicting by tag through <see cref="HybridResponseCacheEvictor"/>.</summary>
public sealed class TagTests : IAsyncDisposable
{
    private readonly FakeTimeProvider _time = new();
    private readonly MemoryCache _cache;
    private int _runs;

    public TagTests() => _cache = new MemoryCache(10_000, 1 << 26, TimeSpan.Zero, _time);

    public ValueTask DisposeAsync() => _cache.DisposeAsync();

    private Task<TestApp> StartAsync(Action<WebApplication> endpoints, Action<HybridResponseCachingOptions>? configure = null)
        => TestApp.StartAsync(
            options: null,
            app =>
            {
                app.UseHybridResponseCaching();
                endpoints(app);
            },
            services: s => s.AddSingleton<ICacheAdapter>(_cache).AddSingleton<TimeProvider>(_time).AddHybridResponseCaching(configure));

    private static Task<(string? Status, string Body)> GetAsync(TestApp app, string path) => app.Client.GetStatusAndBodyAsync(path);

    [Fact]
    public async Task EvictByTagAsync_StaticTag_OnlyTaggedResponsesBecomeMisses()
    {
        await using var app = await StartAsync(app =>
        {
            app.MapGet("/products/list", () => $"list {Interlocked.Increment(ref _runs)}").CacheHybridResponse("products");
            app.MapGet("/products/top", () => $"top {Interlocked.Increment(ref _runs)}").CacheHybridResponse(p => p.Tags.Add("products"));
            app.MapGet("/other", () => $"other {Interlocked.Increment(ref _runs)}");
        }, o => o.AddPolicy("products", p => p.Tags.Add("products")));
        foreach (var path in new[] { "/products/list", "/products/top", "/other" })
        {
            await GetAsync(app, path);
            Assert.Equal(HttpCacheStatus.Hit, (await GetAsync(app, path)).Status);
        }

        await app.Services.GetRequiredService<HybridResponseCacheEvictor>().EvictByTagAsync("products");
        _time.Advance(TimeSpan.FromMilliseconds(1)); // entries written from now on are newer than the eviction

        Assert.Equal((HttpCacheStatus.Miss, "list 4"), await GetAsync(app, "/products/list"));
        Assert.Equal((HttpCacheStatus.Miss, "top 5"), await GetAsync(app, "/products/top"));
        Assert.Equal((HttpCacheStatus.Hit, "other 3"), await GetAsync(app, "/other"));
        Assert.Equal((HttpCacheStatus.Hit, "list 4"), await GetAsync(app, "/products/list"));
    }

    [Fact]
    public async Task EvictByTagAsync_HeadRequest_NoLongerAnsweredFromTheEvictedEntry()
    {
        await using var app = await StartAsync(app => app.MapGet("/tagged", () => "tagged").CacheHybridResponse(p => p.Tags.Add("t")));
        await GetAsync(app, "/tagged");
        using var headBefore = await app.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/tagged"));

        await app.Services.GetRequiredService<HybridResponseCacheEvictor>().EvictByTagAsync("t");
        using var headAfter = await app.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/tagged"));

        Assert.Equal(HttpCacheStatus.Hit, CacheStatus(headBefore));
        Assert.Equal(HttpCacheStatus.Miss, CacheStatus(headAfter));
    }

    [Fact]
    public async Task EvictByTagAsync_TagComputedFromRequest_EvictsOnlyThatResponse()
    {
        await using var app = await StartAsync(app => app
            .MapGet("/product/{id}", (string id) => $"{id} {Interlocked.Increment(ref _runs)}")
            .CacheHybridResponse(p => p.TagsFrom = context => ["product:" + context.Request.RouteValues["id"]]));
        await GetAsync(app, "/product/1");
        await GetAsync(app, "/product/2");

        await app.Services.GetRequiredService<HybridResponseCacheEvictor>().EvictByTagAsync("product:1");

        Assert.Equal((HttpCacheStatus.Miss, "1 3"), await GetAsync(app, "/product/1"));
        Assert.Equal((HttpCacheStatus.Hit, "2 2"), await GetAsync(app, "/product/2"));
    }

    [Fact]
    public async Task Middleware_UntaggedResponse_StaysAPlainGoEnvelope()
    {
        await using var app = await StartAsync(app => app.MapGet("/plain", () => "plain"));
        await GetAsync(app, "/plain");

        var stored = await _cache.GetAsync("http://localhost/plain");

        Assert.True(CachePayload.TryRead(stored, out var payload));
        Assert.False(payload.HasTags);
        Assert.Equal(200, payload.StatusCode);
    }

    [Fact]
    public async Task EvictByTagAsync_PolicyWithLongerTtl_KeepsTheEvictionAsLong()
    {
        await using var app = await StartAsync(
            app => app.MapGet("/long", () => "long").CacheHybridResponse(p => p.Ttl = TimeSpan.FromHours(5)),
            o => o.AddPolicy("three", p => p.Ttl = TimeSpan.FromHours(3)));

        Assert.Equal(TimeSpan.FromHours(5), app.Services.GetRequiredService<HybridResponseCacheEvictor>().LongestTtl());
    }

    [Fact]
    public async Task EvictByTagAsync_EmptyTag_Throws()
    {
        await using var app = await StartAsync(_ => { });

        await Assert.ThrowsAsync<ArgumentException>(() => app.Services.GetRequiredService<HybridResponseCacheEvictor>().EvictByTagAsync("").AsTask());
    }

    [Fact]
    public async Task EvictByTagAsync_OnlyACacheFuncWithShorterTtlThanAPolicy_EvictionOutlivesItsTtl()
    {
        var time = new FakeTimeProvider();
        await using var cache = new MemoryCache(10_000, 1 << 26, TimeSpan.Zero, time);
        var func = new CacheFunc(cache, new CacheFuncOptions { WaitFor = TimeSpan.FromSeconds(10), FreshFor = TimeSpan.FromMinutes(1), Ttl = TimeSpan.FromMinutes(1), TimeProvider = time });
        int runs = 0;
        await using var app = await TestApp.StartAsync(
            options: null,
            app =>
            {
                app.UseHybridResponseCaching();
                app.MapGet("/p", () => $"run {Interlocked.Increment(ref runs)}").CacheHybridResponse(p => { p.Ttl = TimeSpan.FromHours(1); p.Tags.Add("t"); });
            },
            services: s => s.AddSingleton<TimeProvider>(time).AddHybridResponseCaching(o => o.CacheFunc = func));

        await app.Client.GetStatusAndBodyAsync("/p");
        await app.Services.GetRequiredService<HybridResponseCacheEvictor>().EvictByTagAsync("t");
        time.Advance(TimeSpan.FromMinutes(2)); // past the function's 1 min ttl, well within the policy's 1 h entry ttl

        Assert.Equal((HttpCacheStatus.Miss, "run 2"), await app.Client.GetStatusAndBodyAsync("/p"));
    }
}
