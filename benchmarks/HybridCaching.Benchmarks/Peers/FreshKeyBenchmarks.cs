using BenchmarkDotNet.Attributes;

namespace HybridCaching.Benchmarks.Peers;

/// <summary>
/// Base of the tables whose every call asks for a key never asked before: a fixed number of calls per iteration
/// (set <c>[InvocationCount]</c> to <paramref name="callsPerIteration"/>), and new, empty caches for every
/// iteration, so no cache grows without bound over a run.
/// </summary>
/// <param name="keyPrefix">Starts every key.</param>
/// <param name="callsPerIteration">How many keys an iteration uses.</param>
public abstract class FreshKeyBenchmarks(string keyPrefix, int callsPerIteration)
{
    private readonly string[] _keys = Enumerable.Range(0, callsPerIteration).Select(i => keyPrefix + i).ToArray();
    private MemoryPeers? _peers;
    private int _next;

    private protected MemoryPeers Peers => _peers!;

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

    /// <summary>The next unused key; counts the operation.</summary>
    private protected string NextKey()
    {
        FactoryCalls.AddOp();
        return _keys[_next++];
    }
}
