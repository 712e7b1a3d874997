using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;

namespace HybridCaching.Benchmarks.Peers;

/// <summary>
/// Table row 4: a cold miss, one caller, memory level only: each call asks for a key never asked before, the factory
/// returns at once and the value is stored. Every iteration starts from new, empty caches (so no cache grows without
/// bound over a run). Baseline: the runtime's <c>MemoryCache</c> <c>TryGetValue</c> (a miss) then <c>Set</c>.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
[FactoryCallsColumn(perOperation: true)]
[InvocationCount(Calls)]
public class PeerColdMissBenchmarks
{
    private const int Calls = 16_384;
    private readonly string[] _keys = Enumerable.Range(0, Calls).Select(i => "miss:" + i).ToArray();
    private readonly Factories<string> _text = new(PeerValues.Text);
    private readonly Factories<CustomerDto> _dto = new(PeerValues.Dto);
    private MemoryPeers? _peers;
    private int _next;

    [GlobalSetup]
    public void Setup() => FactoryCalls.Reset();

    [IterationSetup]
    public void IterationSetup()
    {
        _peers?.Dispose();
        _peers = new MemoryPeers();
        _next = 0;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        FactoryCalls.Record();
        _peers?.Dispose();
    }

    [Benchmark(Baseline = true, Description = "raw MemoryCache.TryGetValue + Set"), BenchmarkCategory("string")]
    public string String_Raw()
    {
        var key = NextKey();
        if (!Peers.Runtime.TryGetValue(key, out string? value))
        {
            FactoryCalls.Increment();
            value = Peers.Runtime.Set(key, PeerValues.Text, PeerSettings.Duration);
        }

        return value!;
    }

    [Benchmark(Description = "4 ours DoAsync"), BenchmarkCategory("string")]
    public ValueTask<string> String_Ours() => Peers.Ours.DoAsync(NextKey(), _text.Ours);

    [Benchmark(Description = "4 FusionCache GetOrSetAsync"), BenchmarkCategory("string")]
    public ValueTask<string> String_Fusion() => Peers.Fusion.GetOrSetAsync(NextKey(), _text.Fusion);

    [Benchmark(Description = "4 Microsoft GetOrCreateAsync"), BenchmarkCategory("string")]
    public ValueTask<string> String_Microsoft() => Peers.Microsoft.GetOrCreateAsync(NextKey(), _text.Microsoft);

    [Benchmark(Baseline = true, Description = "raw MemoryCache.TryGetValue + Set"), BenchmarkCategory("DTO")]
    public CustomerDto Dto_Raw()
    {
        var key = NextKey();
        if (!Peers.Runtime.TryGetValue(key, out CustomerDto? value))
        {
            FactoryCalls.Increment();
            value = Peers.Runtime.Set(key, PeerValues.Dto, PeerSettings.Duration);
        }

        return value!;
    }

    [Benchmark(Description = "4 ours DoAsync"), BenchmarkCategory("DTO")]
    public ValueTask<CustomerDto> Dto_Ours() => Peers.Ours.DoAsync(NextKey(), _dto.Ours);

    [Benchmark(Description = "4 FusionCache GetOrSetAsync"), BenchmarkCategory("DTO")]
    public ValueTask<CustomerDto> Dto_Fusion() => Peers.Fusion.GetOrSetAsync(NextKey(), _dto.Fusion);

    [Benchmark(Description = "4 Microsoft GetOrCreateAsync"), BenchmarkCategory("DTO")]
    public ValueTask<CustomerDto> Dto_Microsoft() => Peers.Microsoft.GetOrCreateAsync(NextKey(), _dto.Microsoft);

    private MemoryPeers Peers => _peers!;

    private string NextKey()
    {
        FactoryCalls.AddOp();
        return _keys[_next++];
    }
}
