using System.Net;
using System.Runtime.InteropServices;
using HybridCaching.Http;
using HybridCaching.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Time.Testing;
using static HybridCaching.AspNetCore.Tests.TestHelpers;

namespace HybridCaching.AspNetCore.Tests;

/// <summary>Memory-level hits reuse the response decoded from the entry: one decode per stored entry, the body
/// written from the stored bytes, and every per-request check (validators, Vary, tags) still made.</summary>
public sealed class MiddlewareResponseReuseTests : IAsyncDisposable
{
    private readonly FakeTimeProvider _time = new();
    private readonly MemoryCache _cache;
    private int _runs;

    public MiddlewareResponseReuseTests() => _cache = new MemoryCache(10_000, 1 << 26, TimeSpan.Zero, _time);

    public ValueTask DisposeAsync() => _cache.DisposeAsync();

    private Task<TestApp> StartAsync(Action<WebApplication> endpoints) => TestApp.StartAsync(
        new HybridResponseCachingOptions
        {
            Cache = _cache,
            TimeProvider = _time,
            FreshFor = TimeSpan.FromMinutes(1),
            Ttl = TimeSpan.FromHours(1),
            RequestKey = context => "k" + context.Request.Path,
        },
        endpoints);

    private LocalCacheEntry Entry(string key) => ((ILocalCacheEntries)_cache).TryGetLocal(key, out var entry) ? entry : throw new InvalidOperationException($"no entry under {key}");

    private static async Task<(HttpStatusCode Code, string? Status, byte[] Body, string? ETag)> GetAsync(TestApp app, string path, params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        using var response = await app.Client.SendAsync(request);
        return (response.StatusCode, CacheStatus(response), await response.Content.ReadAsByteArrayAsync(), response.Headers.ETag?.Tag);
    }

    [Fact]
    public async Task Middleware_RepeatedHits_DecodeTheEntryOnceAndServeIdenticalBytes()
    {
        await using var app = await StartAsync(app => app.MapGet("/a", () => $"run {Interlocked.Increment(ref _runs)} " + new string('x', 2000)));
        var miss = await GetAsync(app, "/a");
        var firstHit = await GetAsync(app, "/a");
        var entry = Entry("k/a");
        var reused = Assert.IsType<ReusedValue<CachedHttpResponse>>(entry.Decoded);

        for (int i = 0; i < 3; i++)
        {
            var hit = await GetAsync(app, "/a");
            Assert.Equal(HttpCacheStatus.Hit, hit.Status);
            Assert.Equal(miss.Body, hit.Body);
            Assert.Equal(firstHit.ETag, hit.ETag); // the ETag is computed when the entry is stored: hits carry it
        }

        // No hit decoded again: a decode would have attached a new value on a new entry.
        Assert.Same(entry, Entry("k/a"));
        Assert.Same(reused, Entry("k/a").Decoded);
        Assert.True(MemoryMarshal.TryGetArray(reused.Value.Body, out var segment));
        Assert.Same(entry.Value, segment.Array);
        Assert.Equal((HttpCacheStatus.Miss, HttpCacheStatus.Hit), (miss.Status, firstHit.Status));
        Assert.Equal(miss.Body, firstHit.Body);
        Assert.Equal(1, _runs);
    }

    [Fact]
    public async Task Middleware_EntryOverwrittenThenDeleted_NextRequestSeesEach()
    {
        await using var app = await StartAsync(app => app.MapGet("/a", () => $"run {Interlocked.Increment(ref _runs)}"));
        await GetAsync(app, "/a");
        await GetAsync(app, "/a");
        Assert.IsType<ReusedValue<CachedHttpResponse>>(Entry("k/a").Decoded);

        var replacement = new CachedHttpResponse(200, [new("Content-Type", ["text/plain"])], "replaced"u8.ToArray());
        await _cache.SetAsync("k/a", CachedHttpResponseFormat.VaryAllowed.Write(replacement, _time.GetUtcNow() + TimeSpan.FromMinutes(1)), TimeSpan.FromHours(1));
        var afterSet = await GetAsync(app, "/a");
        Assert.Equal((HttpCacheStatus.Hit, "replaced"), (afterSet.Status, System.Text.Encoding.UTF8.GetString(afterSet.Body)));

        await _cache.DeleteAsync(["k/a"]);
        var afterDelete = await GetAsync(app, "/a");
        Assert.Equal((HttpCacheStatus.Miss, "run 2"), (afterDelete.Status, System.Text.Encoding.UTF8.GetString(afterDelete.Body)));
    }

    [Fact]
    public async Task Middleware_ReusedResponse_ConditionalRequestGets304AndLeavesItIntact()
    {
        await using var app = await StartAsync(app => app.MapGet("/a", () => $"run {Interlocked.Increment(ref _runs)}"));
        var miss = await GetAsync(app, "/a");
        var hit = await GetAsync(app, "/a");
        var reused = Assert.IsType<ReusedValue<CachedHttpResponse>>(Entry("k/a").Decoded).Value;
        var headersBefore = reused.Headers.ToDictionary(h => h.Key, h => string.Join("|", h.Value));

        var notModified = await GetAsync(app, "/a", ("If-None-Match", hit.ETag!));
        var full = await GetAsync(app, "/a");

        Assert.Equal(HttpStatusCode.NotModified, notModified.Code);
        Assert.Empty(notModified.Body);
        Assert.Equal(HttpStatusCode.OK, full.Code);
        Assert.Equal(miss.Body, full.Body);
        Assert.Equal(headersBefore, reused.Headers.ToDictionary(h => h.Key, h => string.Join("|", h.Value)));
        Assert.Same(reused, Assert.IsType<ReusedValue<CachedHttpResponse>>(Entry("k/a").Decoded).Value);
    }

    [Fact]
    public async Task Middleware_ReusedVariedResponse_OtherRequestValuesStillGetTheirOwnVariant()
    {
        await using var app = await StartAsync(app => app.MapGet("/v", (HttpContext context) =>
        {
            context.Response.Headers.Vary = "Accept-Language";
            return $"{context.Request.Headers.AcceptLanguage} {Interlocked.Increment(ref _runs)}";
        }));
        string Body((HttpStatusCode, string?, byte[] Body, string?) r) => System.Text.Encoding.UTF8.GetString(r.Body);

        Assert.Equal("en 1", Body(await GetAsync(app, "/v", ("Accept-Language", "en"))));
        Assert.Equal("en 1", Body(await GetAsync(app, "/v", ("Accept-Language", "en"))));
        Assert.IsType<ReusedValue<CachedHttpResponse>>(Entry("k/v").Decoded);

        Assert.Equal("fr 2", Body(await GetAsync(app, "/v", ("Accept-Language", "fr"))));
        Assert.Equal("fr 2", Body(await GetAsync(app, "/v", ("Accept-Language", "fr"))));
        Assert.Equal("en 1", Body(await GetAsync(app, "/v", ("Accept-Language", "en"))));
        Assert.Equal(2, _runs);
    }
}
