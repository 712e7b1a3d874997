using BenchmarkDotNet.Attributes;

namespace HybridCaching.Benchmarks.Http;

/// <summary>
/// A cached endpoint's hit (issue 14), one GET per operation, for each <see cref="HttpCacheConfiguration"/>; baseline:
/// no caching (the endpoint runs; /json serializes its ~1 KB body). Setup fails when a cached configuration still runs
/// its endpoint after warm-up (<see cref="HttpBenchApp.VerifyAsync(HttpClient)"/>). Two transports, one class each.
/// </summary>
[MemoryDiagnoser]
public abstract class HttpCacheBenchmarksBase
{
    private readonly Dictionary<HttpCacheConfiguration, HttpBenchApp> _apps = [];

    [Params("/json", "/text")]
    public string Path { get; set; } = "/json";

    // Synchronous: the in-process toolchain does not await a Task-returning setup or cleanup.
    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    [GlobalCleanup]
    public void Cleanup() => CleanupAsync().GetAwaiter().GetResult();

    [Benchmark(Baseline = true, Description = "no caching")]
    public Task NoCaching() => SendAsync(_apps[HttpCacheConfiguration.None]);

    [Benchmark(Description = "OutputCache")]
    public Task OutputCache() => SendAsync(_apps[HttpCacheConfiguration.OutputCache]);

    [Benchmark(Description = "ours, global")]
    public Task OursGlobal() => SendAsync(_apps[HttpCacheConfiguration.HybridGlobal]);

    [Benchmark(Description = "ours, per-endpoint policy")]
    public Task OursPerEndpoint() => SendAsync(_apps[HttpCacheConfiguration.HybridEndpoint]);

    /// <summary>Sends one GET of <see cref="Path"/> to the app and reads the whole response.</summary>
    private protected abstract Task SendAsync(HttpBenchApp app);

    /// <summary>Warms the app up and fails unless it serves hits as configured.</summary>
    private protected abstract Task VerifyAsync(HttpBenchApp app);

    private async Task SetupAsync()
    {
        foreach (var configuration in HttpCacheConfiguration.All)
        {
            var app = await HttpBenchApp.StartAsync(configuration, kestrel: false);
            _apps[configuration] = app;
            await VerifyAsync(app);
        }
    }

    private async Task CleanupAsync()
    {
        foreach (var app in _apps.Values)
        {
            await app.DisposeAsync();
        }

        _apps.Clear();
    }
}

/// <summary>
/// Through an in-process <c>TestServer</c> and its <see cref="HttpClient"/>: client and server in this process, so the
/// allocations are both sides' (the TestServer client alone accounts for most of the baseline's).
/// </summary>
public class HttpCacheBenchmarks : HttpCacheBenchmarksBase
{
    private protected override async Task SendAsync(HttpBenchApp app)
    {
        using var response = await app.TestClient.GetAsync(Path);
        _ = await response.Content.ReadAsByteArrayAsync();
    }

    private protected override Task VerifyAsync(HttpBenchApp app) => app.VerifyAsync(app.TestClient);
}

/// <summary>
/// The app's middleware pipeline and endpoints invoked directly on a new <c>DefaultHttpContext</c>, body to
/// <see cref="Stream.Null"/>: no server, no client, so the time and allocations are the caches' and the endpoints'
/// (plus the context, the same in every row).
/// </summary>
public class HttpCachePipelineBenchmarks : HttpCacheBenchmarksBase
{
    private protected override Task SendAsync(HttpBenchApp app) => app.InvokeAsync(Path, Stream.Null);

    private protected override Task VerifyAsync(HttpBenchApp app) => app.VerifyPipelineAsync();
}
