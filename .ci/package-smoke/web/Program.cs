// A minimal ASP.NET Core consumer of the packed packages, configured only through appsettings.json + AddHybridCaching.
using var metrics = new MetricPrinter();
var builder = WebApplication.CreateBuilder(args);
builder.Services.AddHybridCaching(builder.Configuration.GetSection("HybridCaching")).AddMemory().AddCacheFunc();
builder.Services.AddHybridResponseCaching();
var app = builder.Build();
app.UseHybridResponseCaching();
var computed = 0;
app.MapGet("/", () => $"computed #{Interlocked.Increment(ref computed)}");
await app.StartAsync();

var address = app.Urls.First(); // the port Kestrel picked for 127.0.0.1:0
using var client = new HttpClient { BaseAddress = new Uri(address), Timeout = TimeSpan.FromSeconds(30) };
var first = await client.GetStringAsync("/");
var second = await client.GetStringAsync("/");
await app.StopAsync();

Console.WriteLine("DI web smoke: metrics");
metrics.Print();
if (first != "computed #1" || second != "computed #1" || metrics["hybridcaching.factory.runs"] != 1 || metrics["hybridcaching.hits.fresh"] < 1)
{
    Console.Error.WriteLine($"DI web smoke FAILED: responses '{first}', '{second}'; expected one factory run and a fresh hit");
    return 1;
}

Console.WriteLine("DI web smoke: OK");
return 0;
