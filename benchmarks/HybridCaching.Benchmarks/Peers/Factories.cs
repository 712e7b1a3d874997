using ZiggyCreatures.Caching.Fusion;

namespace HybridCaching.Benchmarks.Peers;

/// <summary>One factory per library signature (built once: no delegate per call), each returning the same value at
/// once and counting its call in <see cref="FactoryCalls"/>.</summary>
/// <typeparam name="T">The value type.</typeparam>
internal sealed class Factories<T>
{
    public Factories(T value)
    {
        var task = Task.FromResult(value);
        Ours = _ =>
        {
            FactoryCalls.Increment();
            return task;
        };
        Fusion = (_, _) =>
        {
            FactoryCalls.Increment();
            return task;
        };
        Microsoft = _ =>
        {
            FactoryCalls.Increment();
            return new ValueTask<T>(value);
        };
    }

    public Func<CancellationToken, Task<T>> Ours { get; }

    public Func<FusionCacheFactoryExecutionContext<T>, CancellationToken, Task<T>> Fusion { get; }

    public Func<CancellationToken, ValueTask<T>> Microsoft { get; }
}
