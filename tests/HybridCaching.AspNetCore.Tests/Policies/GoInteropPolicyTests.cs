using System.Text;
using HybridCaching.Http;
using HybridCaching.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Time.Testing;
using static HybridCaching.AspNetCore.Tests.TestHelpers;

namespace HybridCaching.AspNetCore.Tests.Policies;

/// <summary>An endpoint with a policy, keyed by path and query as the Go middleware keys, shares entries with Go.</summary>
public sealed class GoInteropPolicyTests : IAsyncDisposable
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2023, 11, 14, 22, 0, 0, TimeSpan.Zero));
    private readonly MemoryCache _cache;

    public GoInteropPolicyTests() => _cache = new MemoryCache(100, 1 << 20, TimeSpan.Zero, _time);

    public ValueTask DisposeAsync() => _cache.DisposeAsync();

    private Task<TestApp> StartAsync(Func<string> body)
        => TestApp.StartAsync(
            new HybridResponseCachingOptions
            {
                Cache = _cache,
                TimeProvider = _time,
                EndpointsOnly = true,
                RequestKey = context => context.Request.Path + context.Request.QueryString,
            },
            app => app.MapGet("/go/{id}", body).CacheHybridResponse(p => p.FreshFor = TimeSpan.FromMinutes(5)));

    [Fact]
    public async Task Middleware_PolicyEndpointKeyedByPathAndQuery_ServesEntryWrittenByGo()
    {
        // SPEC §6: {BestBefore: 1700000000 s, Value: "hi", Header: {Content-Type: [text/plain]}, StatusCode: 200, V: 1}
        await _cache.SetAsync("/go/1?lang=en", Convert.FromHexString("85aa426573744265666f7265d6ff6553f100a556616c7565c4026869a648656164657281ac436f6e74656e742d5479706591aa746578742f706c61696eaa537461747573436f6465ccc8a15601"), TimeSpan.FromHours(1));
        int runs = 0;
        await using var app = await StartAsync(() => $"from dotnet {Interlocked.Increment(ref runs)}");

        using var response = await app.Client.GetAsync("/go/1?lang=en");

        Assert.Equal("hi", await response.Content.ReadAsStringAsync());
        Assert.Equal(HttpCacheStatus.Hit, CacheStatus(response));
        Assert.Equal(0, runs);
    }

    [Fact]
    public async Task Middleware_PolicyEndpointKeyedByPathAndQuery_WritesAPlainGoEnvelope()
    {
        await using var app = await StartAsync(() => "from dotnet");

        using var response = await app.Client.GetAsync("/go/2?lang=fr");
        var stored = await _cache.GetAsync("/go/2?lang=fr");

        Assert.True(CachePayload.TryRead(stored, out var payload));
        Assert.False(payload.HasTags);
        Assert.Equal(200, payload.StatusCode);
        Assert.Equal("from dotnet", Encoding.UTF8.GetString(payload.Value));
        Assert.Equal(_time.GetUtcNow() + TimeSpan.FromMinutes(5), payload.BestBefore);
        Assert.DoesNotContain(ResponseVary.MarkerHeader, payload.ReadHeader()!.Keys);
    }
}
