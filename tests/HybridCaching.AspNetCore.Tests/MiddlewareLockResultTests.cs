using System.Net;
using System.Text;
using HybridCaching.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace HybridCaching.AspNetCore.Tests;

/// <summary>What a leader hands the adapter's race for responses it does not store: over Redis that is written under the
/// lock, and a Go middleware waiting on it replays it as it would a Go leader's (SPEC §6: no <c>Err</c> → <c>Res</c> is
/// a payload envelope whose StatusCode, Header and Value are the response). The encoding itself is covered by
/// HybridCaching.Redis.Tests' GoLockResultTests.</summary>
public sealed class MiddlewareLockResultTests : IAsyncDisposable
{
    private readonly MemoryCache _memory = new(1000, 1 << 24, TimeSpan.Zero);

    public ValueTask DisposeAsync() => _memory.DisposeAsync();

    private async Task<(RaceResult Result, HttpResponseMessage Response)> LeadAsync(RequestDelegate endpoint)
    {
        var recorder = new RaceRecordingCache(_memory);
        await using var app = await TestApp.StartAsync(new HybridResponseCachingOptions { Cache = recorder }, app => app.Run(endpoint));
        var response = await app.Client.GetAsync("/r");
        await response.Content.LoadIntoBufferAsync();
        return (Assert.Single(recorder.Results), response);
    }

    [Fact]
    public async Task Middleware_Leader500_RaceResultIsThePlainResponseEnvelope()
    {
        var (result, response) = await LeadAsync(async context =>
        {
            context.Response.StatusCode = StatusCodes.Status500InternalServerError;
            context.Response.ContentType = "text/plain";
            await context.Response.WriteAsync("boom page");
        });
        using (response)
        {
            Assert.True(CachePayload.TryRead(result.Value, out var payload));
            Assert.Equal(500, payload.StatusCode);
            Assert.Equal("boom page", Encoding.UTF8.GetString(payload.Value));
            Assert.Equal(["text/plain"], payload.ReadHeader()!["Content-Type"]);
            Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
            Assert.Null(await _memory.GetAsync("http://localhost/r"));
        }
    }

    [Fact]
    public async Task Middleware_LeaderSetsCookie_RaceResultIsTheEmpty503Bypass()
    {
        var (result, response) = await LeadAsync(async context =>
        {
            context.Response.Cookies.Append("sid", "secret");
            await context.Response.WriteAsync("user page");
        });
        using (response)
        {
            Assert.True(CachePayload.TryRead(result.Value, out var payload));
            Assert.Equal(503, payload.StatusCode);
            Assert.True(payload.Value.IsEmpty);
            var header = payload.ReadHeader()!;
            Assert.Equal(["1"], header["X-Hybridcache-Bypass"]);
            Assert.False(header.ContainsKey("Set-Cookie"));
            Assert.DoesNotContain("secret", Encoding.UTF8.GetString(result.Value!), StringComparison.Ordinal);
            Assert.Equal("user page", await response.Content.ReadAsStringAsync());
            Assert.Null(await _memory.GetAsync("http://localhost/r"));
        }
    }
}
