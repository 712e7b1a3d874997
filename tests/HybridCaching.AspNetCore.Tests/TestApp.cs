using HybridCaching.AspNetCore;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace HybridCaching.AspNetCore.Tests;

/// <summary>A minimal app with the middleware, on a TestServer (or on Kestrel at 127.0.0.1:0).</summary>
internal sealed class TestApp : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TestApp(WebApplication app, HttpClient client)
    {
        _app = app;
        Client = client;
    }

    public HttpClient Client { get; }

    public IServiceProvider Services => _app.Services;

    public Uri BaseAddress => Client.BaseAddress!;

    /// <param name="options">The middleware's options; without, the app has no cache.</param>
    /// <param name="endpoints">Maps endpoints or adds terminal middleware after the cache.</param>
    /// <param name="services">Registers services.</param>
    /// <param name="outer">Middleware placed before the cache.</param>
    /// <param name="kestrel">Whether to listen on a real loopback socket instead of a TestServer.</param>
    public static async Task<TestApp> StartAsync(
        HybridResponseCachingOptions? options,
        Action<WebApplication> endpoints,
        Action<IServiceCollection>? services = null,
        Func<HttpContext, RequestDelegate, Task>? outer = null,
        bool kestrel = false)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        builder.Logging.ClearProviders();
        if (!kestrel)
        {
            builder.WebHost.UseTestServer();
        }

        services?.Invoke(builder.Services);
        var app = builder.Build();
        if (kestrel)
        {
            app.Urls.Add("http://127.0.0.1:0");
        }

        if (outer is not null)
        {
            app.Use(outer);
        }

        if (options is not null)
        {
            app.UseHybridResponseCaching(options);
        }
        endpoints(app);
        await app.StartAsync();
        var client = kestrel ? new HttpClient { BaseAddress = new Uri(app.Urls.First()) } : app.GetTestClient();
        return new TestApp(app, client);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

internal static class TestHelpers
{
    /// <summary>Sends a GET; returns its <c>X-Cache</c> status and body (and checks no internal header leaked).</summary>
    public static async Task<(string? Status, string Body)> GetStatusAndBodyAsync(this HttpClient client, string path, params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        using var response = await client.SendAsync(request);
        Assert.False(response.Headers.Contains(ResponseVary.MarkerHeader));
        return (CacheStatus(response), await response.Content.ReadAsStringAsync());
    }
}
