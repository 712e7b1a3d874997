using BenchmarkDotNet.Attributes;

namespace HybridCaching.Benchmarks.Http;

/// <summary>
/// A cached endpoint's hit (issue 14), one GET per operation through an in-process <c>TestServer</c> (client and server
/// in this process, so the allocations are both sides'), for each <see cref="HttpCacheConfiguration"/>; baseline: no
/// caching (the endpoint runs, /json serializes its ~1 KB body). <see cref="HttpBenchApp.VerifyAsync"/> fails the setup
/// when a cached configuration still runs its endpoint after warm-up.
/// </summary>
[MemoryDiagnoser]
public class HttpCacheBenchmarks
{
    private readonly Dictionary<HttpCacheConfiguration, HttpBenchApp> _apps = [];

    [Params("/json", "/text")]
    public string Path { get; set; } = "/json";

    // Synchronous: the in-process toolchain does not await a Task-returning setup or cleanup.
    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    [GlobalCleanup]
    public void Cleanup() => CleanupAsync().GetAwaiter().GetResult();

    private async Task SetupAsync()
    {
        foreach (var configuration in HttpCacheConfiguration.All)
        {
            var app = await HttpBenchApp.StartAsync(configuration, kestrel: false);
            _apps[configuration] = app;
            await app.VerifyAsync(app.TestClient);
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

    [Benchmark(Baseline = true, Description = "no caching")]
    public Task<byte[]> NoCaching() => GetAsync(HttpCacheConfiguration.None);

    [Benchmark(Description = "OutputCache")]
    public Task<byte[]> OutputCache() => GetAsync(HttpCacheConfiguration.OutputCache);

    [Benchmark(Description = "ours, global")]
    public Task<byte[]> OursGlobal() => GetAsync(HttpCacheConfiguration.HybridGlobal);

    private async Task<byte[]> GetAsync(HttpCacheConfiguration configuration)
    {
        using var response = await _apps[configuration].TestClient.GetAsync(Path);
        return await response.Content.ReadAsByteArrayAsync();
    }
}
