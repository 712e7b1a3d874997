using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Microsoft.Extensions.Caching.Memory;

namespace HybridCaching.Benchmarks.Peers;

/// <summary>
/// Table row 4: a cold miss, one caller, memory level only: each call asks for a key never asked before, the factory
/// returns at once and the value is stored. Every iteration starts from new, empty caches. Baseline: the runtime's
/// <c>MemoryCache</c> <c>TryGetValue</c> (a miss) then <c>Set</c>.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
[FactoryCallsColumn(perOperation: true)]
[InvocationCount(Calls)]
public class PeerColdMissBenchmarks : FreshKeyBenchmarks
{
    private const int Calls = 65_536;
    private readonly Factories<string> _text = new(PeerValues.Text);
    private readonly Factories<CustomerDto> _dto = new(PeerValues.Dto);

    public PeerColdMissBenchmarks()
        : base("miss:", Calls)
    {
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
    public ValueTask<string> String_Fusion() => Peers.Fusion.GetOrSetAsync<string>(NextKey(), _text.Fusion);

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
    public ValueTask<CustomerDto> Dto_Fusion() => Peers.Fusion.GetOrSetAsync<CustomerDto>(NextKey(), _dto.Fusion);

    [Benchmark(Description = "4 Microsoft GetOrCreateAsync"), BenchmarkCategory("DTO")]
    public ValueTask<CustomerDto> Dto_Microsoft() => Peers.Microsoft.GetOrCreateAsync(NextKey(), _dto.Microsoft);

}
