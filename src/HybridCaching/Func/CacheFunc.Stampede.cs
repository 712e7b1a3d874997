namespace HybridCaching;

// Stampede protection, the one place a factory runs: a single-flight per key in this process and, inside it, the race
// across servers when the cache offers one (ICacheRace, detected once by the constructor).
public sealed partial class CacheFunc
{
    // Joins the key's run under way in this process, or starts one: it races run's factory across servers through
    // run.Race, or runs it here when there is none. Whichever caller starts it, every caller gets the same result.
    private Task<RaceResult> RunOnceAsync<T, TFormat, TState>(FactoryRun<T, TFormat, TState> run, TimeSpan waitFor, CancellationToken cancellationToken)
        where TFormat : ICachePayloadFormat<T>
    {
        run.WaitFor = waitFor;
        return _local.RunAsync(
            run.Key,
            run,
            static (run, token) => run.Race is { } race
                ? race.RaceAsync(run.Key, run.InvokeAsync, run.WaitFor, run.Func._suppressFor, token)
                : run.InvokeAsync(token),
            waitFor,
            cancellationToken);
    }

    /// <summary>One call's factory and how it would run, should the call start the key's run; it records the payload its
    /// run produced, so the call can tell its own result from one produced elsewhere.</summary>
    private sealed class FactoryRun<T, TFormat, TState>(CacheFunc func, string key, Invocation<TState, T> invocation, TFormat format, ICacheRace? race, bool isBackgroundRefresh, bool storeResult)
        where TFormat : ICachePayloadFormat<T>
    {
        public CacheFunc Func => func;

        public string Key => key;

        public Invocation<TState, T> Invocation => invocation;

        public TFormat Format => format;

        /// <summary>The race across servers to run the factory in; none to run it here.</summary>
        public ICacheRace? Race => race;

        public bool IsBackgroundRefresh => isBackgroundRefresh;

        /// <summary>The stale value a background refresh replaces (its factory's <see cref="CacheFuncContext.TryGetStaleValue{TValue}"/>).</summary>
        public T? StaleValue { get; init; }

        public bool StoreResult => storeResult;

        /// <summary>How long the run may take (what is left of the call's waitFor when it started).</summary>
        public TimeSpan WaitFor { get; set; }

        /// <summary>The payload this call's own factory produced; none until (unless) it ran.</summary>
        public byte[]? Produced { get; set; }

        public Task<RaceResult> InvokeAsync(CancellationToken cancellationToken) => func.RunFactoryAsync(this, cancellationToken);
    }
}
