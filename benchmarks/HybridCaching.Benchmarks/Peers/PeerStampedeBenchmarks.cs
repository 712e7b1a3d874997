using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using ZiggyCreatures.Caching.Fusion;

namespace HybridCaching.Benchmarks.Peers;

/// <summary>
/// Table row 5: 100 callers on one cold key, memory level only. All 100 calls are made before the first factory run
/// may finish (it waits on a gate opened after the 100th call), then the time runs until the last caller has its
/// value. The factory-calls column must read 1 (one factory run per key). Every iteration starts from new, empty
/// caches. Ours is the baseline (there is no single-flight in the runtime's cache to compare with).
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
[FactoryCallsColumn(perOperation: true)]
[InvocationCount(Keys)]
public class PeerStampedeBenchmarks : FreshKeyBenchmarks
{
    private const int Callers = 100;
    private const int Keys = 512;
    private readonly GatedFactories<string> _text = new(PeerValues.Text);
    private readonly GatedFactories<CustomerDto> _dto = new(PeerValues.Dto);
    private readonly ValueTask<string>[] _textCallers = new ValueTask<string>[Callers];
    private readonly ValueTask<CustomerDto>[] _dtoCallers = new ValueTask<CustomerDto>[Callers];

    public PeerStampedeBenchmarks()
        : base("stampede:", Keys)
    {
    }

    [Benchmark(Baseline = true, Description = "5 ours DoAsync"), BenchmarkCategory("string")]
    public Task<string> String_Ours() => StampedeAsync(_textCallers, _text, (key, f) => Peers.Ours.DoAsync(key, f.Ours));

    [Benchmark(Description = "5 FusionCache GetOrSetAsync"), BenchmarkCategory("string")]
    public Task<string> String_Fusion() => StampedeAsync(_textCallers, _text, (key, f) => Peers.Fusion.GetOrSetAsync<string>(key, f.Fusion));

    [Benchmark(Description = "5 Microsoft GetOrCreateAsync"), BenchmarkCategory("string")]
    public Task<string> String_Microsoft() => StampedeAsync(_textCallers, _text, (key, f) => Peers.Microsoft.GetOrCreateAsync(key, f.Microsoft));

    [Benchmark(Baseline = true, Description = "5 ours DoAsync"), BenchmarkCategory("DTO")]
    public Task<CustomerDto> Dto_Ours() => StampedeAsync(_dtoCallers, _dto, (key, f) => Peers.Ours.DoAsync(key, f.Ours));

    [Benchmark(Description = "5 FusionCache GetOrSetAsync"), BenchmarkCategory("DTO")]
    public Task<CustomerDto> Dto_Fusion() => StampedeAsync(_dtoCallers, _dto, (key, f) => Peers.Fusion.GetOrSetAsync<CustomerDto>(key, f.Fusion));

    [Benchmark(Description = "5 Microsoft GetOrCreateAsync"), BenchmarkCategory("DTO")]
    public Task<CustomerDto> Dto_Microsoft() => StampedeAsync(_dtoCallers, _dto, (key, f) => Peers.Microsoft.GetOrCreateAsync(key, f.Microsoft));

    private async Task<T> StampedeAsync<T>(ValueTask<T>[] callers, GatedFactories<T> factories, Func<string, GatedFactories<T>, ValueTask<T>> call)
    {
        var key = NextKey();
        factories.Close();
        for (var i = 0; i < callers.Length; i++)
        {
            callers[i] = call(key, factories);
        }

        factories.Open();
        T last = default!;
        for (var i = 0; i < callers.Length; i++)
        {
            last = await callers[i];
        }

        return last;
    }

    /// <summary>Factories that count their call, then wait for the gate before returning the value.</summary>
    private sealed class GatedFactories<T>
    {
        private TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public GatedFactories(T value)
        {
            Ours = async _ =>
            {
                FactoryCalls.Increment();
                await _gate.Task;
                return value;
            };
            Fusion = async (_, _) =>
            {
                FactoryCalls.Increment();
                await _gate.Task;
                return value;
            };
            Microsoft = async _ =>
            {
                FactoryCalls.Increment();
                await _gate.Task;
                return value;
            };
        }

        public Func<CancellationToken, Task<T>> Ours { get; }

        public Func<FusionCacheFactoryExecutionContext<T>, CancellationToken, Task<T>> Fusion { get; }

        public Func<CancellationToken, ValueTask<T>> Microsoft { get; }

        public void Close() => _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Open() => _gate.SetResult();
    }
}
