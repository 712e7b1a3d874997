using System.Diagnostics;
using HybridCaching;
using HybridCaching.Redis;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

// HybridCache for .NET — console demo: a stampede collapsing into one call, a fresh hit, a stale hit answered at once
// while the value refreshes in the background, and what is left when this process's memory loses the entry. Each step
// says which level answered it: memory, Redis, or the source.
// Run:            dotnet run --project samples/ConsoleDemo
// Over Redis:     HYBRIDCACHE_REDIS=localhost:6379 dotnet run --project samples/ConsoleDemo

// Everything is configured in appsettings.json (section "HybridCaching") and wired by AddHybridCaching.
// Settings are read next to the program, wherever it is started from.
var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });
// Errors only: over an unreachable Redis every fallback to memory would log a warning, drowning the demo's output.
builder.Logging.SetMinimumLevel(LogLevel.Error);
var settings = builder.Configuration.GetSection("HybridCaching");
var redis = Environment.GetEnvironmentVariable("HYBRIDCACHE_REDIS") ?? settings["Redis:Configuration"];
if (!string.IsNullOrWhiteSpace(redis))
{
    settings["Redis:Configuration"] = redis;
}

var caching = builder.Services.AddHybridCaching(settings).AddMemory().AddCacheFunc();
if (!string.IsNullOrWhiteSpace(redis))
{
    caching.AddHybrid();
}

using var host = builder.Build();
await host.StartAsync(); // validates the settings (ValidateOnStart)
var cache = host.Services.GetRequiredService<ICacheAdapter>();
Console.WriteLine(string.IsNullOrWhiteSpace(redis)
    ? "Cache: in-process MemoryCache (set HYBRIDCACHE_REDIS=host:port for Redis + memory)"
    : $"Cache: HybridCache over Redis at {redis} + MemoryCache");
try
{
    await cache.DeleteAsync("user:42"); // start cold; a delete reports an unreachable upstream, reads and writes never do
}
catch (Exception ex) when (!string.IsNullOrWhiteSpace(redis))
{
    Console.WriteLine($"Redis at {redis} is unreachable ({ex.GetType().Name}): memory keeps serving.");
}

// 5 s execution timeout, 1 s fresh-for, 1 h TTL (appsettings.json, CacheFuncs:default).
var cacheFunc = host.Services.GetRequiredService<CacheFunc>();
var calls = 0;

async Task<string> LoadProfileAsync(CancellationToken cancellationToken)
{
    var n = Interlocked.Increment(ref calls);
    await Task.Delay(TimeSpan.FromMilliseconds(300), cancellationToken); // a slow database call
    return $"profile v{n}";
}

// Which level will answer: the hybrid level reads memory first, then Redis; with neither holding the key, the source
// runs. Asked before each step, straight from the levels the container holds.
var memory = host.Services.GetRequiredService<MemoryCache>();
var redisLevel = host.Services.GetService<RedisCache>();
async Task<string> LevelHoldingAsync(string key)
{
    if (await memory.GetAsync(key) is not null)
    {
        return "memory";
    }

    if (redisLevel is null)
    {
        return "the source (no shared level)";
    }

    try
    {
        return await redisLevel.GetAsync(key) is not null ? "Redis" : "the source";
    }
    catch (Exception ex) // the hybrid level serves around whatever Redis throws; so does this probe
    {
        return $"the source (Redis unreachable: {ex.GetType().Name})";
    }
}

// 1. Stampede: 100 concurrent callers ask for a cold key.
var level = await LevelHoldingAsync("user:42");
var clock = Stopwatch.StartNew();
var answers = await Task.WhenAll(Enumerable.Range(0, 100).Select(_ => cacheFunc.DoAsync("user:42", LoadProfileAsync).AsTask()));
Console.WriteLine($"1. Stampede: 100 concurrent callers -> {calls} call(s) to the source, all got '{answers.Distinct().Single()}' in {clock.ElapsedMilliseconds} ms (from {level})");

// 2. Fresh hit: answered from memory without calling the source.
level = await LevelHoldingAsync("user:42");
clock.Restart();
var fresh = await cacheFunc.DoAsync("user:42", LoadProfileAsync);
Console.WriteLine($"2. Fresh hit: '{fresh}' in {clock.Elapsed.TotalMicroseconds:F0} µs from {level}, source calls still {calls}");

// 3. Stale hit: past fresh-for, the old value answers at once and a refresh runs in the background.
await Task.Delay(TimeSpan.FromSeconds(1.1));
level = await LevelHoldingAsync("user:42");
clock.Restart();
var stale = await cacheFunc.DoAsync("user:42", LoadProfileAsync);
Console.WriteLine($"3. Stale hit: '{stale}' in {clock.Elapsed.TotalMicroseconds:F0} µs from {level} (refreshing in the background)");

await cacheFunc.WhenBackgroundRefreshesIdleAsync();
level = await LevelHoldingAsync("user:42");
clock.Restart();
var refreshed = await cacheFunc.DoAsync("user:42", LoadProfileAsync);
Console.WriteLine($"4. After the refresh: '{refreshed}' in {clock.Elapsed.TotalMicroseconds:F0} µs from {level}, source calls {calls}");

// 5. This process's memory loses the entry (a restart, another server): Redis still holds it, memory alone does not.
await memory.DeleteAsync("user:42");
level = await LevelHoldingAsync("user:42");
clock.Restart();
var afterRestart = await cacheFunc.DoAsync("user:42", LoadProfileAsync);
Console.WriteLine($"5. Memory emptied: '{afterRestart}' in {clock.Elapsed.TotalMicroseconds:F0} µs from {level}, source calls {calls}");

await host.StopAsync();
