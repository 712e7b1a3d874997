// A console consumer of the packed packages, configured only through appsettings.json + AddHybridCaching.
using HybridCaching;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

using var metrics = new MetricPrinter();
var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.Services.AddHybridCaching(builder.Configuration.GetSection("HybridCaching")).AddMemory().AddCacheFunc().AddCacheFunc("products");
using var host = builder.Build();
await host.StartAsync();

var products = host.Services.GetRequiredKeyedService<CacheFunc>("products");
var calls = 0;
for (var i = 0; i < 3; i++)
{
    var value = await products.DoAsync("p:1", _ => Task.FromResult($"v{Interlocked.Increment(ref calls)}"));
    if (value != "v1")
    {
        Console.Error.WriteLine($"DI console smoke FAILED: expected v1, got {value}");
        return 1;
    }
}

await host.StopAsync();
Console.WriteLine("DI console smoke: metrics");
metrics.Print();
if (metrics["hybridcaching.misses"] != 1 || metrics["hybridcaching.hits.fresh"] != 2 || metrics["hybridcaching.factory.runs"] != 1)
{
    Console.Error.WriteLine("DI console smoke FAILED: expected 1 miss, 2 fresh hits, 1 factory run");
    return 1;
}

Console.WriteLine("DI console smoke: OK");
return 0;
