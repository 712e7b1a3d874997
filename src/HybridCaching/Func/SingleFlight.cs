using System.Collections.Concurrent;
using System.Diagnostics;

namespace HybridCaching;

// Per-key single-flight: concurrent calls for a key share one run and its outcome (the same value or exception). A run
// leaves the map when it ends, so a later call starts a new one. Each caller may cancel its own wait; the work's token
// fires only at the timeout or when every waiter has cancelled. A run abandoned by all its callers is never joined.
[DebuggerDisplay("InFlight = {Count}")]
internal sealed class SingleFlight<TResult>(TimeProvider? timeProvider = null)
{
    private readonly ConcurrentDictionary<string, Flight> _flights = new(StringComparer.Ordinal);
    private readonly TimeProvider _timeProvider = timeProvider ?? TimeProvider.System;

    public int Count => _flights.Count;

    // Starts a run for key, or joins the one in progress. Throws TimeoutException when it outlasts timeout. The work is a
    // value task, so work finished at once (a factory over a memory level) costs no task of its own.
    public Task<TResult> RunAsync<TState>(
        string key,
        TState state,
        Func<TState, CancellationToken, ValueTask<TResult>> work,
        TimeSpan timeout,
        CancellationToken cancellationToken = default)
        => RunAsync(new DelegateFlight<TState>(key, timeout, state, work), cancellationToken).AsTask();

    // Starts candidate as key's run, or joins the one in progress (candidate is then dropped, never started): a caller
    // that brings its work as a Flight of its own costs one object for the run, and a run that finishes at once before
    // anyone joins it hands its starter the result without a task.
    public ValueTask<TResult> RunAsync(Flight candidate, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<TResult>(cancellationToken);
        }

        var key = candidate.Key;
        while (true)
        {
            if (_flights.TryGetValue(key, out var existing))
            {
                if (existing.TryJoin(cancellationToken) is { } wait)
                {
                    return new ValueTask<TResult>(CacheTelemetry.Waits.Enabled || CacheTelemetry.WaitDuration.Enabled ? RecordWaitAsync(wait) : wait);
                }

                // Every waiter of that run has gone and its work is being cancelled: replace it.
                _flights.TryRemove(new KeyValuePair<string, Flight>(key, existing));
                continue;
            }

            if (_flights.TryAdd(key, candidate))
            {
                return candidate.Start(this, cancellationToken);
            }
        }
    }

    private static async Task<TResult> RecordWaitAsync(Task<TResult> wait)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            return await wait.ConfigureAwait(false);
        }
        finally
        {
            CacheTelemetry.RecordWait("process", Stopwatch.GetElapsedTime(started));
        }
    }

    // A run and its outcome; its work is what a subclass does (one object per run). Its token source is made when it
    // starts, so a candidate that joined another run allocates none; the task its waiters await is made only when one
    // must wait (a joiner, or work that did not finish at once).
    internal abstract class Flight(string key, TimeSpan timeout)
    {
        private static readonly TimeSpan LongestTimer = TimeSpan.FromMilliseconds(uint.MaxValue - 1);

        private CancellationTokenSource? _cts;
        private TaskCompletionSource<TResult>? _completion; // under lock (this), as the outcome fields
        private bool _ended;
        private TResult _result = default!;
        private Exception? _failure;
        private int _waiters = 1; // its creator, from the start: no joiner leaving first can abandon it
        private volatile bool _abandoned;

        public string Key => key;

        // How long the run may take.
        public TimeSpan Timeout => timeout;

        // The work, given the token that fires at the timeout or when every waiter has cancelled.
        protected abstract ValueTask<TResult> WorkAsync(CancellationToken cancellationToken);

        // Joins the run: its outcome, or null when every waiter has left it (it is being cancelled).
        public Task<TResult>? TryJoin(CancellationToken cancellationToken)
        {
            Task<TResult> outcome;
            lock (this)
            {
                if (_abandoned)
                {
                    return null;
                }

                _waiters++;
                outcome = OutcomeLocked();
            }

            return cancellationToken.CanBeCanceled && !outcome.IsCompleted ? WaitCancellableAsync(outcome, cancellationToken) : outcome;
        }

        // Runs the work for its creator (on the system clock the timeout's timer starts only if the work does not finish
        // at once, counting from now; another clock's timer, or a timeout no timer takes, starts at once). Never throws:
        // the outcome is set after the entry has left the map, so a new call starts a new run.
        public ValueTask<TResult> Start(SingleFlight<TResult> owner, CancellationToken cancellationToken)
        {
            var lazy = ReferenceEquals(owner._timeProvider, TimeProvider.System) && timeout <= LongestTimer;
            var started = lazy ? Stopwatch.GetTimestamp() : 0;
            var cts = _cts = lazy ? new() : new(timeout, owner._timeProvider);
            ValueTask<TResult> outcome;
            try
            {
                outcome = WorkAsync(cts.Token);
            }
#pragma warning disable CA1031 // every outcome, whatever its type, is delivered to all waiters
            catch (Exception ex)
#pragma warning restore CA1031
            {
                outcome = ValueTask.FromException<TResult>(ex);
            }

            if (outcome.IsCompletedSuccessfully)
            {
                var result = outcome.Result;
                End(owner, result, failure: null);
                return new ValueTask<TResult>(result);
            }

            _ = FinishAsync(owner, outcome, started);
            Task<TResult> wait;
            lock (this)
            {
                wait = OutcomeLocked();
            }

            return new ValueTask<TResult>(cancellationToken.CanBeCanceled && !wait.IsCompleted ? WaitCancellableAsync(wait, cancellationToken) : wait);
        }

        // Work that did not finish at once (or failed): awaited within the timeout, its outcome delivered to every waiter.
        private async Task FinishAsync(SingleFlight<TResult> owner, ValueTask<TResult> outcome, long started)
        {
            var cts = _cts!;
            Exception? failure = null;
            var result = default(TResult)!;
            Task<TResult>? running = null;
            try
            {
                running = outcome.AsTask();
                if (started != 0 && !running.IsCompleted)
                {
                    var remaining = timeout - Stopwatch.GetElapsedTime(started);
                    cts.CancelAfter(remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero);
                }

                result = await running.WaitAsync(cts.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException ex) when (cts.IsCancellationRequested && !_abandoned)
            {
                failure = new TimeoutException($"The call for key '{key}' did not complete within {timeout}.", ex);
            }
#pragma warning disable CA1031 // every outcome, whatever its type, is delivered to all waiters
            catch (Exception ex)
#pragma warning restore CA1031
            {
                failure = ex;
            }
            finally
            {
                if (running is { IsCompleted: false })
                {
                    // Given up on (timeout, or every waiter gone): whatever it ends with must not go unobserved.
                    TaskObservation.ObserveFailure(running);
                }
            }

            End(owner, result, failure);
        }

        // The run's outcome, after the entry has left the map; a failure, cancellations included, reaches every waiter as
        // the same instance (type, message, inner).
        private void End(SingleFlight<TResult> owner, TResult result, Exception? failure)
        {
            owner._flights.TryRemove(new KeyValuePair<string, Flight>(key, this));
            _cts!.Dispose();
            TaskCompletionSource<TResult>? completion;
            lock (this)
            {
                (_ended, _result, _failure, completion) = (true, result, failure, _completion);
            }

            if (completion is null)
            {
                return;
            }

            if (failure is null)
            {
                completion.TrySetResult(result);
            }
            else
            {
                completion.TrySetException(failure);
                if (_abandoned)
                {
                    // No waiter is left to observe it.
                    _ = completion.Task.Exception;
                }
            }
        }

        // What a waiter awaits: the outcome once the run has ended, otherwise the task it will complete.
        private Task<TResult> OutcomeLocked()
        {
            if (_ended)
            {
                return _failure is null ? Task.FromResult(_result) : Task.FromException<TResult>(_failure);
            }

            _completion ??= new TaskCompletionSource<TResult>(TaskCreationOptions.RunContinuationsAsynchronously);
            return _completion.Task;
        }

        private async Task<TResult> WaitCancellableAsync(Task<TResult> outcome, CancellationToken cancellationToken)
        {
            try
            {
                return await outcome.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                Leave();
                throw;
            }
        }

        private void Leave()
        {
            lock (this)
            {
                if (--_waiters > 0 || _ended)
                {
                    return;
                }

                _abandoned = true;
            }

            try
            {
                _cts?.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // The run ended meanwhile; nothing left to cancel.
            }
        }
    }

    // A run of a delegate over a state.
    private sealed class DelegateFlight<TState>(string key, TimeSpan timeout, TState state, Func<TState, CancellationToken, ValueTask<TResult>> work)
        : Flight(key, timeout)
    {
        protected override ValueTask<TResult> WorkAsync(CancellationToken cancellationToken) => work(state, cancellationToken);
    }
}
