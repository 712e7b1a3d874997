using System.Net;
using System.Text;
using HybridCaching.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using static HybridCaching.AspNetCore.Tests.TestHelpers;

namespace HybridCaching.AspNetCore.Tests;

/// <summary>The middleware and the client handler on a real socket (Kestrel on 127.0.0.1, a free port).</summary>
public sealed class KestrelTests : IAsyncDisposable
{
    private readonly MemoryCache _serverCache = new(10_000, 1 << 26, TimeSpan.Zero);
    private readonly MemoryCache _clientCache = new(10_000, 1 << 26, TimeSpan.Zero);

    public async ValueTask DisposeAsync()
    {
        await _serverCache.DisposeAsync();
        await _clientCache.DisposeAsync();
    }

    [Fact]
    public async Task Middleware_OnKestrel_CachesAndAnswersHeadWithHeadersOnly()
    {
        int runs = 0;
        await using var app = await TestApp.StartAsync(
            new HybridResponseCachingOptions { Cache = _serverCache },
            app => app.MapGet("/k", () => $"kestrel {Interlocked.Increment(ref runs)}"),
            kestrel: true);

        using var miss = await app.Client.GetAsync("/k");
        using var hit = await app.Client.GetAsync("/k");
        using var head = await app.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/k"));

        Assert.Equal(HttpCacheStatus.Miss, CacheStatus(miss));
        Assert.NotNull(miss.Headers.Date);
        Assert.Equal(HttpCacheStatus.Hit, CacheStatus(hit));
        Assert.Equal("kestrel 1", await hit.Content.ReadAsStringAsync());
        Assert.NotNull(hit.Headers.Age);
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(HttpCacheStatus.Hit, CacheStatus(head));
        Assert.Equal(9, head.Content.Headers.ContentLength);
        Assert.Empty(await head.Content.ReadAsByteArrayAsync());
        Assert.Equal(1, runs);
    }

    // SPEC §9's HTTP table again, for the client handler, over a real socket and IHttpClientFactory.
    [Fact]
    public async Task HttpCacheHandler_GoHttpTableThroughHttpClientFactory_MatchesEveryRow()
    {
        int counter = 0;
        int runs = 0;
        await using var app = await TestApp.StartAsync(
            options: null,
            app => app.Run(context =>
            {
                Interlocked.Increment(ref runs);
                return context.Response.WriteAsync($"value {Volatile.Read(ref counter)}");
            }),
            kestrel: true);
        var handlerOptions = new HttpCacheHandlerOptions
        {
            CacheFunc = new CacheFunc(_clientCache, TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(1), TimeSpan.FromHours(1)),
            RequestKey = request => request.RequestUri!.GetLeftPart(UriPartial.Path) + "?"
                + string.Join('&', request.RequestUri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal)),
            AcceptResponse = (_, response) => !Encoding.UTF8.GetString(response.Body.Span).Contains("value 8", StringComparison.Ordinal),
        };
        var services = new ServiceCollection();
        services.AddHttpClient("cached", client => client.BaseAddress = app.BaseAddress)
            .AddHttpMessageHandler(() => new HttpCacheHandler(handlerOptions));
        await using var provider = services.BuildServiceProvider();
        var factory = provider.GetRequiredService<IHttpClientFactory>();

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
            using var client = factory.CreateClient("cached");
            using var request = new HttpRequestMessage(new HttpMethod(method), path);
            using var response = await client.SendAsync(request);
            Assert.Equal(expected, await response.Content.ReadAsStringAsync());
        }

        Assert.Equal(7, runs);
    }
}
