using System.Net;
using System.Net.Sockets;
using System.Text.Json.Serialization;
using HybridCaching;
using HybridCaching.Redis;
using HybridCaching.Serialization;

// HybridCache for .NET under native AOT: a memory and a Redis CacheFunc with a source-generated System.Text.Json
// serializer, and the response-caching middleware. Every result is checked; a wrong one exits with 1.
// Publish and run:  dotnet publish samples/AotSample -c Release -r linux-x64 && artifacts/publish/AotSample/release_linux-x64/AotSample
// With Redis:       HYBRIDCACHE_REDIS=127.0.0.1:6379 .../AotSample
var serializer = new SystemTextJsonCacheSerializer(SampleJsonContext.Default);
var failures = 0;

void Check(bool ok, string what)
{
    Console.WriteLine($"{(ok ? "ok  " : "FAIL")} {what}");
    failures += ok ? 0 : 1;
}

async Task RunCacheFuncAsync(string level, ICacheAdapter cache)
{
    var func = new CacheFunc(cache, new CacheFuncOptions { Serializer = serializer, WaitFor = TimeSpan.FromSeconds(5), FreshFor = TimeSpan.FromMinutes(1), Ttl = TimeSpan.FromMinutes(5) });
    var key = $"aot-sample:{Guid.NewGuid():N}";
    var calls = 0;
    Task<Product> LoadAsync(CancellationToken _) => Task.FromResult(new Product(42, $"widget v{Interlocked.Increment(ref calls)}", [1.5m, 2.5m]));

    var first = await func.DoAsync(key, LoadAsync);
    var second = await func.DoAsync(key, LoadAsync);
    Check(first == second && first.Name == "widget v1" && calls == 1, $"{level} CacheFunc: {second.Name}, {calls} call(s) to the source");
    Check(second.Prices.SequenceEqual([1.5m, 2.5m]), $"{level} CacheFunc: prices [{string.Join(", ", second.Prices)}] round-trip");
    await cache.DeleteAsync(key);
}

await using (var memory = new MemoryCache(maxItems: 1_000, maxBytes: 1 << 20, maxTtl: TimeSpan.FromMinutes(5)))
{
    await RunCacheFuncAsync("memory", memory);

    // The middleware over the same memory level, on a free loopback port.
    var builder = WebApplication.CreateSlimBuilder(args);
    builder.Logging.ClearProviders();
    builder.WebHost.UseUrls("http://127.0.0.1:0");
    builder.Services.AddHybridResponseCaching(o => o.Cache = memory);
    await using var app = builder.Build();
    app.UseHybridResponseCaching();
    var served = 0;
    app.MapGet("/time", () => $"response {Interlocked.Increment(ref served)}");
    await app.StartAsync();
    using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
    var statuses = new List<string>();
    var bodies = new List<string>();
    for (var i = 0; i < 2; i++)
    {
        using var response = await http.GetAsync("/time");
        statuses.Add(string.Join(",", response.Headers.TryGetValues("X-Cache", out var v) ? v : ["(none)"]));
        bodies.Add(await response.Content.ReadAsStringAsync());
    }

    Check(statuses.SequenceEqual(["MISS", "HIT"]) && bodies.Distinct().Single() == "response 1" && served == 1,
        $"middleware: X-Cache {string.Join(" then ", statuses)}, body '{bodies[^1]}', endpoint ran {served} time(s)");
    await app.StopAsync();
}

var redis = Environment.GetEnvironmentVariable("HYBRIDCACHE_REDIS");
if (string.IsNullOrWhiteSpace(redis))
{
    Console.WriteLine("skip Redis CacheFunc: set HYBRIDCACHE_REDIS=host:port to run it");
}
else
{
    await using var redisCache = new RedisCache(redis);
    await RunCacheFuncAsync($"Redis ({redis})", redisCache);
}

Console.WriteLine(failures == 0 ? "AOT sample: all checks passed" : $"AOT sample: {failures} check(s) failed");
return failures == 0 ? 0 : 1;

/// <summary>A cached value.</summary>
internal sealed record Product(int Id, string Name, decimal[] Prices)
{
    public bool Equals(Product? other) => other is not null && Id == other.Id && Name == other.Name && Prices.SequenceEqual(other.Prices);

    public override int GetHashCode() => HashCode.Combine(Id, Name);
}

/// <summary>The source-generated System.Text.Json contract of every cached type: no reflection at run time.</summary>
[JsonSerializable(typeof(Product))]
internal sealed partial class SampleJsonContext : JsonSerializerContext;
