using HybridCaching;
using HybridCaching.AspNetCore;
using HybridCaching.Redis;

// HybridCache for .NET — web demo: a deliberately slow endpoint behind the response-caching middleware.
// Run:         dotnet run --project samples/WebDemo   (listens on http://localhost:5080: Properties/launchSettings.json)
// Over Redis:  HYBRIDCACHE_REDIS=localhost:6379 dotnet run --project samples/WebDemo
// What to curl is in docs/http.md.

var builder = WebApplication.CreateBuilder(args);
var app = builder.Build();

var redis = Environment.GetEnvironmentVariable("HYBRIDCACHE_REDIS") ?? app.Configuration["HybridCache:Redis"];
var memory = new MemoryCache(maxItems: 10_000, maxBytes: 64L << 20, maxTtl: TimeSpan.FromHours(1));
await using ICacheAdapter cache = string.IsNullOrWhiteSpace(redis)
    ? memory
    : new HybridCache(upstream: new RedisCache(redis), downstream: memory, logger: app.Logger);
app.Logger.LogInformation("Cache: {Cache}", string.IsNullOrWhiteSpace(redis) ? "in-process MemoryCache" : $"HybridCache over Redis at {redis} + MemoryCache");

// 5 s execution timeout, 10 s fresh-for, 1 h TTL: after 10 s a hit is served stale and refreshed in the background;
// for an hour the last good response keeps being served even while /slow fails ("always online").
app.UseHybridResponseCaching(new HybridResponseCachingOptions
{
    Cache = cache,
    WaitFor = TimeSpan.FromSeconds(5),
    FreshFor = TimeSpan.FromSeconds(10),
    Ttl = TimeSpan.FromHours(1),
});

var computed = 0;
var outage = false;

// Takes 2 s; cached. Fails while the outage is on.
app.MapGet("/slow", async (CancellationToken cancellationToken) =>
{
    await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
    if (Volatile.Read(ref outage))
    {
        throw new InvalidOperationException("The backend is down.");
    }

    return $"computed #{Interlocked.Increment(ref computed)} at {DateTimeOffset.UtcNow:HH:mm:ss}\n";
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
