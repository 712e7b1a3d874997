using System.Collections.Concurrent;
using System.Diagnostics;

namespace HybridCaching.Testing;

/// <summary>
/// Runs concurrent callers of an async operation while a disruptive action (kill, reshard, failover) happens, and
/// counts what succeeded and what failed, before, during and after the action. For chaos tests: assert on the counts
/// (e.g. <c>Assert.Equal(0, result.Failures)</c>) and write <see cref="ChaosResult.ToString"/> to the test output.
/// </summary>
public static class ChaosRun
{
    /// <summary>Runs the callers, then the action once traffic flows, then more traffic; returns the counts.</summary>
    /// <param name="call">One call: (caller index, iteration, token); a thrown exception is a failure. It should not
    /// ignore the token for long: the run waits for every call to finish.</param>
    /// <param name="action">The disruption; its result is returned in <see cref="ChaosResult{T}.ActionResult"/>.</param>
    /// <param name="options">Callers, phases, guards; <see langword="null"/> for the defaults.</param>
    /// <typeparam name="T">The action's result.</typeparam>
    /// <returns>What happened.</returns>
    public static async Task<ChaosResult<T>> RunAsync<T>(Func<int, long, CancellationToken, Task> call, Func<Task<T>> action, ChaosOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(call);
        ArgumentNullException.ThrowIfNull(action);
        options ??= new ChaosOptions();
        var state = new State(options.MaxExceptions);
        using var stop = new CancellationTokenSource();
        var callers = Enumerable.Range(0, options.Callers)
            .Select(caller => Task.Run(() => CallerAsync(caller, call, options.CallTimeout, options.CallInterval, options.FailureBackoff, state, stop.Token)))
            .ToArray();
        T actionResult;
        TimeSpan actionElapsed;
        try
        {
            await WaitForSuccessesAsync(state, options.WarmUpSuccesses, options.Guard).ConfigureAwait(false);
            var clock = Stopwatch.StartNew();
            state.Phase = ChaosPhase.During;
            actionResult = await action().WaitAsync(options.Guard).ConfigureAwait(false);
            actionElapsed = clock.Elapsed;
            state.Phase = ChaosPhase.After;
            await Task.Delay(options.After).ConfigureAwait(false);
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(callers).WaitAsync(options.Guard).ConfigureAwait(false);
        }

        // Counted once every caller has stopped, so no call is left out.
        return new ChaosResult<T>(state.Snapshot(), actionResult, actionElapsed);
    }

    /// <summary>Same as <see cref="RunAsync{T}"/> for an action without a result.</summary>
    /// <param name="call">One call.</param>
    /// <param name="action">The disruption.</param>
    /// <param name="options">Options.</param>
    /// <returns>What happened.</returns>
    public static Task<ChaosResult<bool>> RunAsync(Func<int, long, CancellationToken, Task> call, Func<Task> action, ChaosOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(action);
        return RunAsync(call, async () =>
        {
            await action().ConfigureAwait(false);
            return true;
        }, options);
    }

    private static async Task CallerAsync(int caller, Func<int, long, CancellationToken, Task> call, TimeSpan callTimeout, TimeSpan callInterval, TimeSpan failureBackoff, State state, CancellationToken stop)
    {
        for (long i = 0; !stop.IsCancellationRequested; i++)
        {
            var phase = state.Phase;
            try
            {
                await call(caller, i, stop).WaitAsync(callTimeout).ConfigureAwait(false);
                state.Success(phase);
                if (callInterval > TimeSpan.Zero)
                {
                    await Task.Delay(callInterval, CancellationToken.None).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                state.Failure(phase, ex);

                // A failing operation usually fails fast: do not spin on a 2-core machine that also runs the servers.
                await Task.Delay(failureBackoff, CancellationToken.None).ConfigureAwait(false);
            }
        }
    }

    private static async Task WaitForSuccessesAsync(State state, long count, TimeSpan guard)
    {
        var clock = Stopwatch.StartNew();
        while (state.Successes < count)
        {
            if (clock.Elapsed > guard)
            {
                throw new TimeoutException($"Chaos run: fewer than {count} successful calls before the action within {guard.TotalSeconds} s. {state.Snapshot()}");
            }

            await Task.Delay(10).ConfigureAwait(false);
        }
    }

    private sealed class State(int maxExceptions)
    {
        private readonly long[] _successes = new long[3];
        private readonly long[] _failures = new long[3];
        private readonly ConcurrentQueue<Exception> _exceptions = new();
        private readonly ConcurrentDictionary<string, long> _byType = new(StringComparer.Ordinal);
        private volatile int _phase;

        public ChaosPhase Phase
        {
            get => (ChaosPhase)_phase;
            set => _phase = (int)value;
        }

        public long Successes => SuccessesIn(ChaosPhase.Before) + SuccessesIn(ChaosPhase.During) + SuccessesIn(ChaosPhase.After);

        private long SuccessesIn(ChaosPhase phase) => Interlocked.Read(ref _successes[(int)phase]);

        public void Success(ChaosPhase phase) => Interlocked.Increment(ref _successes[(int)phase]);

        public void Failure(ChaosPhase phase, Exception ex)
        {
            Interlocked.Increment(ref _failures[(int)phase]);
            _byType.AddOrUpdate(ex.GetType().Name, 1, (_, n) => n + 1);
            if (_exceptions.Count < maxExceptions)
            {
                _exceptions.Enqueue(ex);
            }
        }

        public ChaosCounts Snapshot() => new(
            [.. _successes.Select((_, i) => Interlocked.Read(ref _successes[i]))],
            [.. _failures.Select((_, i) => Interlocked.Read(ref _failures[i]))],
            [.. _exceptions],
            new Dictionary<string, long>(_byType, StringComparer.Ordinal));
    }
}

/// <summary>Settings of a <see cref="ChaosRun"/>.</summary>
public sealed record ChaosOptions
{
    /// <summary>Concurrent callers (default 8).</summary>
    public int Callers { get; init; } = 8;

    /// <summary>Successful calls needed before the action starts (default 50).</summary>
    public long WarmUpSuccesses { get; init; } = 50;

    /// <summary>Traffic kept up after the action completed (default 1 s).</summary>
    public TimeSpan After { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>A call still running after this counts as a failed call (<see cref="TimeoutException"/>; default 30 s).</summary>
    public TimeSpan CallTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Pause of a caller after a successful call (default none: as fast as the calls go). A millisecond keeps
    /// a run from taking both cores from the servers and from tests running beside it.</summary>
    public TimeSpan CallInterval { get; init; } = TimeSpan.Zero;

    /// <summary>Pause of a caller after a failed call, so fast failures do not spin the CPU (default 1 ms).</summary>
    public TimeSpan FailureBackoff { get; init; } = TimeSpan.FromMilliseconds(1);

    /// <summary>Hang guard for each phase and for the action (default 120 s).</summary>
    public TimeSpan Guard { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>How many exceptions are kept (default 50; all are counted).</summary>
    public int MaxExceptions { get; init; } = 50;
}

/// <summary>When a call started, relative to the action.</summary>
public enum ChaosPhase
{
    /// <summary>Before the action started.</summary>
    Before,

    /// <summary>While the action ran.</summary>
    During,

    /// <summary>After the action completed.</summary>
    After,
}

/// <summary>Call counts of a chaos run, by the phase in which each call started.</summary>
/// <param name="SuccessesByPhase">Successful calls, indexed by <see cref="ChaosPhase"/>.</param>
/// <param name="FailuresByPhase">Failed calls, indexed by <see cref="ChaosPhase"/>.</param>
/// <param name="Exceptions">The first exceptions (up to <see cref="ChaosOptions.MaxExceptions"/>).</param>
/// <param name="FailuresByType">Failed calls by exception type name.</param>
public record ChaosCounts(
    IReadOnlyList<long> SuccessesByPhase,
    IReadOnlyList<long> FailuresByPhase,
    IReadOnlyList<Exception> Exceptions,
    IReadOnlyDictionary<string, long> FailuresByType)
{
    /// <summary>All successful calls.</summary>
    public long Successes => SuccessesByPhase.Sum();

    /// <summary>All failed calls.</summary>
    public long Failures => FailuresByPhase.Sum();

    /// <summary>A one-line summary plus the first kept exception of each type, for test output.</summary>
    /// <returns>The summary.</returns>
    public override string ToString() =>
        $"successes before/during/after {SuccessesByPhase[0]}/{SuccessesByPhase[1]}/{SuccessesByPhase[2]}, "
        + $"failures {FailuresByPhase[0]}/{FailuresByPhase[1]}/{FailuresByPhase[2]}"
        + (FailuresByType.Count == 0 ? string.Empty : " (" + string.Join(", ", FailuresByType.Select(p => $"{p.Key} x{p.Value}")) + ")")
        + string.Concat(Exceptions.DistinctBy(e => e.GetType()).Take(5).Select(e => "\n  " + e.GetType().Name + ": " + e.Message));
}

/// <summary>The outcome of <see cref="ChaosRun.RunAsync{T}"/>.</summary>
/// <typeparam name="T">The action's result.</typeparam>
public sealed record ChaosResult<T> : ChaosCounts
{
    internal ChaosResult(ChaosCounts counts, T actionResult, TimeSpan actionElapsed)
        : base(counts)
    {
        ActionResult = actionResult;
        ActionElapsed = actionElapsed;
    }

    /// <summary>What the action returned.</summary>
    public T ActionResult { get; }

    /// <summary>How long the action took.</summary>
    public TimeSpan ActionElapsed { get; }

    /// <inheritdoc/>
    public override string ToString() =>
        $"action took {ActionElapsed.TotalMilliseconds:F0} ms; " + base.ToString();
}
