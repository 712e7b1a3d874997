using HybridCaching;
using HybridCaching.AspNetCore;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

// HybridCache for .NET — web demo: a deliberately slow endpoint behind the response-caching middleware.
// Run:         dotnet run --project samples/WebDemo   (listens on http://localhost:5080: Properties/launchSettings.json)
// Over Redis:  HYBRIDCACHE_REDIS=localhost:6379 dotnet run --project samples/WebDemo   (readiness: GET /health)
// Metrics and traces on the console: Telemetry__ConsoleExporter=true dotnet run --project samples/WebDemo
// What to curl is in docs/http.md.

// Settings are read next to the program, wherever it is started from.
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });

// The cache levels and the CacheFunc the middleware runs on come from appsettings.json ("HybridCaching");
// set HybridCaching:Redis:Configuration (or HYBRIDCACHE_REDIS) to share the cache through Redis.
var settings = builder.Configuration.GetSection("HybridCaching");
var redis = Environment.GetEnvironmentVariable("HYBRIDCACHE_REDIS") ?? settings["Redis:Configuration"];
if (!string.IsNullOrWhiteSpace(redis))
{
    settings["Redis:Configuration"] = redis;
}

var caching = builder.Services.AddHybridCaching(settings).AddMemory().AddCacheFunc();
if (!string.IsNullOrWhiteSpace(redis))
{
    // A readiness check (tag "ready", mapped on /health below). Degraded, not Unhealthy, while Redis is down: the cache
    // keeps serving from memory and the source, so the instance stays in rotation and the status is there to alert on.
    caching.AddHybrid().AddRedisHealthCheck(failureStatus: HealthStatus.Degraded, tags: ["ready"]);
}

// 5 s execution timeout, 10 s fresh-for, 1 h TTL (CacheFuncs:default): after 10 s a hit is served stale and refreshed
// in the background; for an hour the last good response keeps being served even while /slow fails ("always online").
builder.Services.AddHybridResponseCaching();
builder.Services.AddOptions<HybridResponseCachingOptions>()
    .Configure<CacheFunc, ICacheAdapter>((options, cacheFunc, cache) =>
    {
        options.CacheFunc = cacheFunc;
        options.Cache = cache; // the adapter the CacheFunc runs on: HEAD requests are answered from it
    });
builder.Services.AddHealthChecks();

// Metrics (meter "HybridCaching") and traces (activity source "HybridCaching"), written to the console every 10 s when
// Telemetry:ConsoleExporter is true (off by default: it prints hundreds of lines a minute); swap the console exporter
// for OTLP or Prometheus in a real deployment (docs/observability.md).
if (builder.Configuration.GetValue("Telemetry:ConsoleExporter", false))
{
    builder.Services.AddOpenTelemetry()
        .WithMetrics(metrics => metrics.AddMeter("HybridCaching").AddConsoleExporter((_, reader) =>
            reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = 10_000))
        // AlwaysOn: the request's own activity is not recorded here (no ASP.NET Core instrumentation), and the default
        // parent-based sampler would drop the cache's spans beneath it.
        .WithTracing(tracing => tracing.AddSource("HybridCaching").SetSampler(new AlwaysOnSampler()).AddConsoleExporter());
}

var app = builder.Build();
app.Logger.LogInformation("Cache: {Cache}", string.IsNullOrWhiteSpace(redis) ? "in-process MemoryCache" : $"HybridCache over Redis at {redis} + MemoryCache");
// Readiness: the checks tagged "ready" (the Redis check, over Redis; none in memory mode).
app.MapHealthChecks("/health", new HealthCheckOptions { Predicate = check => check.Tags.Contains("ready") });
app.UseWhen(context => !context.Request.Path.StartsWithSegments("/health"), branch => branch.UseHybridResponseCaching());

var computed = 0;
var outage = false;

// Takes 2 s; cached. Fails while the outage is on. HEAD too: a HEAD is answered from a stored GET response (headers
// only); a HEAD miss runs the endpoint as it is, and stores nothing.
app.MapMethods("/slow", [HttpMethods.Get, HttpMethods.Head], async (CancellationToken cancellationToken) =>
{
    await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
    if (Volatile.Read(ref outage))
    {
        throw new InvalidOperationException("The backend is down.");
    }

    return $"computed #{Interlocked.Increment(ref computed)} at {DateTimeOffset.UtcNow:HH:mm:ss}\n";
});

// An endpoint policy (what OutputCache users know): fresh for 5 minutes, one entry per ?page, tagged "catalog".
app.MapGet("/catalog", (int? page) => $"catalog page {page ?? 1}, built at {DateTimeOffset.UtcNow:HH:mm:ss}\n")
    .CacheHybridResponse(policy =>
    {
        policy.FreshFor = TimeSpan.FromMinutes(5);
        policy.VaryByQuery.Add("page");
        policy.Tags.Add("catalog");
    });

// Evicts every response tagged "catalog", on every server sharing the cache.
app.MapPost("/catalog/evict", async (HybridResponseCacheEvictor evictor) =>
{
    await evictor.EvictByTagAsync("catalog");
    return "catalog evicted\n";
});

// Sets a cookie: answered by the app every time, never stored.
app.MapGet("/me", (HttpContext context) =>
{
    context.Response.Cookies.Append("session", Guid.NewGuid().ToString("N"));
    return "a personal page, never cached\n";
});

// POST is never cached: toggles the outage of /slow.
app.MapPost("/outage", () =>
{
    bool on = !Volatile.Read(ref outage);
    Volatile.Write(ref outage, on);
    return $"outage: {(on ? "on" : "off")}\n";
});

await app.RunAsync();
