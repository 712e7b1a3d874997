using System.Collections.Concurrent;
using HybridCaching.Http;
using HybridCaching.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using static HybridCaching.AspNetCore.Tests.TestHelpers;

namespace HybridCaching.AspNetCore.Tests;

public sealed class BackgroundRefreshTests : IAsyncDisposable
{
    private static readonly TimeSpan FreshFor = TimeSpan.FromMinutes(1);

    private readonly FakeTimeProvider _time = new();
    private readonly MemoryCache _cache;

    public BackgroundRefreshTests() => _cache = new MemoryCache(10_000, 1 << 26, TimeSpan.Zero, _time);

    public ValueTask DisposeAsync() => _cache.DisposeAsync();

    [Fact]
    public async Task Middleware_StaleHit_RefreshRunsOnFreshContextInItsOwnScope()
    {
        var runs = new ConcurrentQueue<Observation>();
        HttpContext? staleRequest = null;
        Probe? staleRequestProbe = null;
        bool? staleRequestAccessorIntact = null;
        await using var app = await TestApp.StartAsync(
            new HybridResponseCachingOptions { Cache = _cache, TimeProvider = _time, FreshFor = FreshFor },
            app => app.MapGet("/probe/{id}", (HttpContext context, Probe probe, IHttpContextAccessor accessor, string id) =>
            {
                runs.Enqueue(new(context, probe, accessor.HttpContext, context.Request.Method, context.Request.Headers["X-Tenant"].ToString(), id));
                return $"v{runs.Count}";
            }),
            services: services => services.AddHttpContextAccessor().AddScoped<Probe>(),
            outer: async (context, next) =>
            {
                await next(context);
                if (context.Request.Headers.ContainsKey("X-Stale-Check"))
                {
                    // The refresh runs in the background; once it has run the endpoint, this (still running)
                    // request must still see its own context through the accessor.
                    staleRequest = context;
                    staleRequestProbe = context.RequestServices.GetRequiredService<Probe>();
                    await EventuallyAsync(() => runs.Count == 2);
                    staleRequestAccessorIntact = ReferenceEquals(context.RequestServices.GetRequiredService<IHttpContextAccessor>().HttpContext, context);
                }
            });

        using (var first = new HttpRequestMessage(HttpMethod.Get, "/probe/7"))
        {
            first.Headers.Add("X-Tenant", "blue");
            using var miss = await app.Client.SendAsync(first);
            Assert.Equal("v1", await miss.Content.ReadAsStringAsync());
        }

        _time.Advance(FreshFor + TimeSpan.FromSeconds(1));
        using (var second = new HttpRequestMessage(HttpMethod.Get, "/probe/7"))
        {
            second.Headers.Add("X-Tenant", "blue");
            second.Headers.Add("X-Stale-Check", "1");
            using var stale = await app.Client.SendAsync(second);
            Assert.Equal("v1", await stale.Content.ReadAsStringAsync());
            Assert.Equal(HttpCacheStatus.Stale, CacheStatus(stale));
        }

        var original = runs.ElementAt(0);
        var refresh = runs.ElementAt(1);
        Assert.True(staleRequestAccessorIntact);
        Assert.NotSame(staleRequest, refresh.Context);
        Assert.NotSame(original.Context, refresh.Context);
        Assert.Same(refresh.Context, refresh.AccessorContext);
        Assert.NotSame(original.Probe, refresh.Probe);
        Assert.NotSame(staleRequestProbe, refresh.Probe);
        Assert.Equal("GET", refresh.Method);
        Assert.Equal("blue", refresh.Tenant);
        Assert.Equal("7", refresh.RouteId);
        await EventuallyAsync(() => refresh.Probe.Disposed);
        await EventuallyAsync(async () =>
        {
            using var response = await app.Client.GetAsync("/probe/7");
            return await response.Content.ReadAsStringAsync() == "v2" && CacheStatus(response) == HttpCacheStatus.Hit;
        });
    }

    [Fact]
    public async Task Middleware_RefreshedResponseRefusedByAcceptResponse_StaleEntryStays()
    {
        int runs = 0;
        await using var app = await TestApp.StartAsync(
            new HybridResponseCachingOptions
            {
                Cache = _cache,
                TimeProvider = _time,
                FreshFor = FreshFor,
                AcceptResponse = (context, response) => !context.Request.Headers.ContainsKey("X-Refuse"),
            },
            app => app.MapGet("/r", () => $"v{Interlocked.Increment(ref runs)}"));
        using (await app.Client.GetAsync("/r")) { }
        _time.Advance(FreshFor + TimeSpan.FromSeconds(1));

        using (var refused = new HttpRequestMessage(HttpMethod.Get, "/r"))
        {
            refused.Headers.Add("X-Refuse", "1");
            using (await app.Client.SendAsync(refused)) { }
        }

        await EventuallyAsync(() => Volatile.Read(ref runs) == 2);
        using var stillStale = await app.Client.GetAsync("/r");
        Assert.Equal("v1", await stillStale.Content.ReadAsStringAsync());
        Assert.Equal(HttpCacheStatus.Stale, CacheStatus(stillStale));
    }

    public sealed record Observation(HttpContext Context, Probe Probe, HttpContext? AccessorContext, string Method, string Tenant, string RouteId);

    public sealed class Probe : IDisposable
    {
        private int _disposed;

        public bool Disposed => Volatile.Read(ref _disposed) == 1;

        public void Dispose() => Volatile.Write(ref _disposed, 1);
    }
}
