using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;

namespace HybridCaching.Benchmarks.Peers;

/// <summary>
/// Table row 6: fresh L1 hits from 2 threads at once (the machine's core count), the same caches and rows as
/// <see cref="PeerHitBenchmarks"/>; the time is per hit, so throughput is 2 / time. Baseline: the runtime's
/// <c>MemoryCache.TryGetValue</c> from 2 threads.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
[FactoryCallsColumn(perOperation: false)]
public class PeerThroughputBenchmarks
{
    private const int Threads = 2;
    private const int HitsPerThread = 4_096;
    private const int Hits = Threads * HitsPerThread;
    private readonly PeerHitBenchmarks _hits = new();

    [GlobalSetup]
    public Task SetupAsync() => _hits.SetupAsync();

    [GlobalCleanup]
    public void Cleanup() => _hits.Cleanup();

    [Benchmark(Baseline = true, OperationsPerInvoke = Hits, Description = "raw MemoryCache.TryGetValue"), BenchmarkCategory("string")]
    public Task String_Raw() => FromThreadsAsync(() => new ValueTask<string?>(_hits.String_Raw()));

    [Benchmark(OperationsPerInvoke = Hits, Description = "6 ours DoAsync<string>"), BenchmarkCategory("string")]
    public Task String_Ours() => FromThreadsAsync(_hits.String_Ours);

    [Benchmark(OperationsPerInvoke = Hits, Description = "6 FusionCache GetOrSetAsync<string>"), BenchmarkCategory("string")]
    public Task String_Fusion() => FromThreadsAsync(_hits.String_Fusion);

    [Benchmark(OperationsPerInvoke = Hits, Description = "6 Microsoft GetOrCreateAsync<string>"), BenchmarkCategory("string")]
    public Task String_Microsoft() => FromThreadsAsync(_hits.String_Microsoft);

    [Benchmark(Baseline = true, OperationsPerInvoke = Hits, Description = "raw MemoryCache.TryGetValue"), BenchmarkCategory("DTO")]
    public Task Dto_Raw() => FromThreadsAsync(() => new ValueTask<CustomerDto?>(_hits.Dto_Raw()));

    [Benchmark(OperationsPerInvoke = Hits, Description = "6 reused: ours, [ImmutableObject(true)] type"), BenchmarkCategory("DTO")]
    public Task Dto_Reused_OursImmutableType() => FromThreadsAsync(_hits.Dto_Reused_OursImmutableType);

    [Benchmark(OperationsPerInvoke = Hits, Description = "6 reused: ours, ReuseValues = true"), BenchmarkCategory("DTO")]
    public Task Dto_Reused_OursReuseValues() => FromThreadsAsync(_hits.Dto_Reused_OursReuseValues);

    [Benchmark(OperationsPerInvoke = Hits, Description = "6 reused: FusionCache, default"), BenchmarkCategory("DTO")]
    public Task Dto_Reused_FusionDefault() => FromThreadsAsync(_hits.Dto_Reused_FusionDefault);

    [Benchmark(OperationsPerInvoke = Hits, Description = "6 reused: Microsoft, [ImmutableObject(true)] sealed type"), BenchmarkCategory("DTO")]
    public Task Dto_Reused_MicrosoftImmutableType() => FromThreadsAsync(_hits.Dto_Reused_MicrosoftImmutableType);

    [Benchmark(OperationsPerInvoke = Hits, Description = "6 copied: ours, default (mutable type)"), BenchmarkCategory("DTO")]
    public Task Dto_Copied_OursDefault() => FromThreadsAsync(_hits.Dto_Copied_OursDefault);

    [Benchmark(OperationsPerInvoke = Hits, Description = "6 copied: FusionCache, EnableAutoClone"), BenchmarkCategory("DTO")]
    public Task Dto_Copied_FusionAutoClone() => FromThreadsAsync(_hits.Dto_Copied_FusionAutoClone);

    [Benchmark(OperationsPerInvoke = Hits, Description = "6 copied: Microsoft, default (mutable type)"), BenchmarkCategory("DTO")]
    public Task Dto_Copied_MicrosoftDefault() => FromThreadsAsync(_hits.Dto_Copied_MicrosoftDefault);

    private static Task FromThreadsAsync<T>(Func<ValueTask<T>> hit)
    {
        var workers = new Task[Threads];
        for (var t = 0; t < workers.Length; t++)
        {
            workers[t] = Task.Run(async () =>
            {
                for (var i = 0; i < HitsPerThread; i++)
                {
                    await hit();
                }
            });
        }

        return Task.WhenAll(workers);
    }
}
