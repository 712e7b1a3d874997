using System.Net;
using System.Text.Json;
using HybridCaching.AspNetCore;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace HybridCaching.Benchmarks.Http;

/// <summary>
/// One caching configuration of the benchmark app: what it adds to the services, to the pipeline (after routing) and
/// to each endpoint. A new configuration is one more instance in <see cref="All"/> (and one benchmark method).
/// </summary>
internal sealed record HttpCacheConfiguration(
    string Name,
    bool Caches,
    Action<IServiceCollection> Services,
    Action<WebApplication> Pipeline,
    Action<IEndpointConventionBuilder> Endpoint)
{
    /// <summary>How long a cached response stays fresh in every cached configuration (far longer than a run).</summary>
    private static readonly TimeSpan Fresh = TimeSpan.FromMinutes(30);

    /// <summary>Baseline: the endpoints run on every request.</summary>
    public static readonly HttpCacheConfiguration None = new("no caching", false, _ => { }, _ => { }, _ => { });

    /// <summary>ASP.NET Core OutputCache, opted in per endpoint with <c>.CacheOutput()</c>, its default in-memory store.</summary>
    public static readonly HttpCacheConfiguration OutputCache = new(
        "OutputCache",
        true,
        services => services.AddOutputCache(o => o.DefaultExpirationTimeSpan = Fresh),
        app => app.UseOutputCache(),
        endpoint => endpoint.CacheOutput());

    /// <summary>Ours, global mode: <c>UseHybridResponseCaching</c> over the in-process <see cref="MemoryCache"/>.</summary>
    public static readonly HttpCacheConfiguration HybridGlobal = new(
        "ours, global",
        true,
        AddMemoryCache,
        app => app.UseHybridResponseCaching(HybridOptions(app, endpointsOnly: false)),
        _ => { });

    /// <summary>Ours, per-endpoint mode: <c>EndpointsOnly</c>, each endpoint <c>.CacheHybridResponse()</c> (the
    /// middleware's settings), as OutputCache's <c>.CacheOutput()</c>.</summary>
    public static readonly HttpCacheConfiguration HybridEndpoint = new(
        "ours, per-endpoint policy",
        true,
        AddMemoryCache,
        app => app.UseHybridResponseCaching(HybridOptions(app, endpointsOnly: true)),
        endpoint => endpoint.CacheHybridResponse());

    /// <summary>Every configuration, baseline first, in the order the load run measures them.</summary>
    public static IReadOnlyList<HttpCacheConfiguration> All { get; } = [None, OutputCache, HybridGlobal, HybridEndpoint];

    // A singleton the container creates, so it is disposed with the app.
    private static void AddMemoryCache(IServiceCollection services)
        => services.AddSingleton(_ => new MemoryCache(maxItems: 10_000, maxBytes: 64L << 20, maxTtl: TimeSpan.FromHours(1)));

    private static HybridResponseCachingOptions HybridOptions(WebApplication app, bool endpointsOnly) => new()
    {
        Cache = app.Services.GetRequiredService<MemoryCache>(),
        FreshFor = Fresh,
        Ttl = TimeSpan.FromHours(1),
        EndpointsOnly = endpointsOnly,
    };
}

/// <summary>
/// The benchmark app, built the same way for every <see cref="HttpCacheConfiguration"/>: <c>GET /json</c> (a ~1 KB JSON
/// array serialized per run) and <c>GET /text</c> (a short text), each counting its runs, on an in-process
/// <see cref="TestServer"/> or on Kestrel (127.0.0.1, a free port).
/// </summary>
internal sealed class HttpBenchApp : IAsyncDisposable
{
    public static readonly string[] Paths = ["/json", "/text"];
    public const string Text = "Hello from the benchmark app: a short text response.";

    // 8 items of ~120 bytes each when serialized: the /json body is ~1 KB.
    private static readonly Item[] Items = Enumerable.Range(1, 8)
        .Select(i => new Item(i, $"Item number {i}", $"A short description of item {i} for the cache benchmark.", 10m + i, ["a", "b"]))
        .ToArray();

    private readonly WebApplication _app;
    private RequestDelegate _pipeline = null!;
    private int _runs;

    private HttpBenchApp(HttpCacheConfiguration configuration, bool kestrel)
    {
        Configuration = configuration;
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        if (kestrel)
        {
            builder.WebHost.UseUrls("http://127.0.0.1:0");
        }
        else
        {
            builder.WebHost.UseTestServer();
        }

        configuration.Services(builder.Services);
        _app = builder.Build();
        _app.UseRouting();
        configuration.Pipeline(_app);
        configuration.Endpoint(_app.MapGet("/json", () =>
        {
            Interlocked.Increment(ref _runs);
            return Results.Json(Items);
        }));
        configuration.Endpoint(_app.MapGet("/text", () =>
        {
            Interlocked.Increment(ref _runs);
            return Text;
        }));

        // Explicit, so the pipeline built for InvokeAsync runs the endpoints too (the host adds its own at the end,
        // which a request served here never reaches).
        _app.UseEndpoints(_ => { });
    }

    public HttpCacheConfiguration Configuration { get; }

    /// <summary>How many times the endpoints have run.</summary>
    public int Runs => Volatile.Read(ref _runs);

    /// <summary>The address Kestrel listens on (Kestrel only).</summary>
    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>A client of the in-process <see cref="TestServer"/> (TestServer only).</summary>
    public HttpClient TestClient { get; private set; } = null!;

    /// <summary>
    /// Runs one GET through the app's middleware pipeline and endpoints directly, on a new
    /// <see cref="DefaultHttpContext"/> (no server, no client): what the caches cost without transport.
    /// </summary>
    /// <returns>The response's status code.</returns>
    public async Task<int> InvokeAsync(string path, Stream body)
    {
        var context = new DefaultHttpContext { RequestServices = _app.Services };
        var request = context.Request;
        request.Method = HttpMethods.Get;
        request.Scheme = "http";
        request.Host = new HostString("localhost");
        request.Path = path;
        context.Response.Body = body;
        await _pipeline(context);
        return context.Response.StatusCode;
    }

    public static async Task<HttpBenchApp> StartAsync(HttpCacheConfiguration configuration, bool kestrel)
    {
        var app = new HttpBenchApp(configuration, kestrel);
        await app._app.StartAsync();
        if (kestrel)
        {
            var address = app._app.Urls.Single();
            app.BaseAddress = new Uri(address);
        }
        else
        {
            app.TestClient = app._app.GetTestClient();
            app._pipeline = ((IApplicationBuilder)app._app).Build();
        }

        return app;
    }

    /// <summary>
    /// Warms the app up and proves it does what the benchmark says: the same body in every configuration, and in a
    /// cached configuration no endpoint run after the first request of each path. Throws otherwise.
    /// </summary>
    public Task VerifyAsync(HttpClient client) => VerifyAsync(path => GetAsync(client, path));

    /// <summary><see cref="VerifyAsync(HttpClient)"/> through <see cref="InvokeAsync"/> (TestServer only).</summary>
    public Task VerifyPipelineAsync() => VerifyAsync(async path =>
    {
        using var body = new MemoryStream();
        var status = await InvokeAsync(path, body);
        return ((HttpStatusCode)status, System.Text.Encoding.UTF8.GetString(body.ToArray()));
    });

    private async Task VerifyAsync(Func<string, Task<(HttpStatusCode Status, string Body)>> get)
    {
        var expectedJson = JsonSerializer.Serialize(Items, JsonSerializerOptions.Web);
        for (var round = 0; round < 2; round++)
        {
            foreach (var path in Paths)
            {
                for (var i = 0; i < 20; i++)
                {
                    await CheckAsync(get, path, path == "/json" ? expectedJson : Text);
                }
            }

            if (round == 0 && Configuration.Caches && Runs > Paths.Length)
            {
                // The first requests of a path may run it more than once only if they raced; they did not here (sequential).
                throw new InvalidOperationException($"{Configuration.Name}: {Runs} endpoint runs for the first {Paths.Length * 20} requests, expected {Paths.Length}.");
            }
        }

        var before = Runs;
        foreach (var path in Paths)
        {
            for (var i = 0; i < 50; i++)
            {
                await CheckAsync(get, path, path == "/json" ? expectedJson : Text);
            }
        }

        var runs = Runs - before;
        var expected = Configuration.Caches ? 0 : Paths.Length * 50;
        if (runs != expected)
        {
            throw new InvalidOperationException($"{Configuration.Name}: the endpoints ran {runs} times for {Paths.Length * 50} requests after warm-up, expected {expected}: the cache does not serve hits.");
        }
    }

    private static async Task<(HttpStatusCode Status, string Body)> GetAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private async Task CheckAsync(Func<string, Task<(HttpStatusCode Status, string Body)>> get, string path, string expectedBody)
    {
        var (status, body) = await get(path);
        if (status != HttpStatusCode.OK || body != expectedBody)
        {
            throw new InvalidOperationException($"{Configuration.Name} {path}: {(int)status}, body {body}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        TestClient?.Dispose();
        await _app.DisposeAsync();
    }

    internal sealed record Item(int Id, string Name, string Description, decimal Price, string[] Tags);
}
