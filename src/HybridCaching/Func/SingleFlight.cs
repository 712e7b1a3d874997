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
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<TResult>(cancellationToken);
        }

        while (true)
        {
            if (_flights.TryGetValue(key, out var existing))
            {
                if (existing.TryJoin())
                {
                    var wait = existing.WaitAsync(cancellationToken);
                    return CacheTelemetry.Waits.Enabled || CacheTelemetry.WaitDuration.Enabled ? RecordWaitAsync(wait) : wait;
                }

                // Every waiter of that run has gone and its work is being cancelled: replace it.
                _flights.TryRemove(new KeyValuePair<string, Flight>(key, existing));
                continue;
            }

            var flight = new Flight(this, key, timeout);
            if (_flights.TryAdd(key, flight))
            {
                _ = flight.RunAsync(state, work);
                return flight.WaitAsync(cancellationToken);
            }

            flight.Dispose();
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

    // The run's outcome: the flight is its own TaskCompletionSource (one object less per run).
    private sealed class Flight(SingleFlight<TResult> owner, string key, TimeSpan timeout)
        : TaskCompletionSource<TResult>(TaskCreationOptions.RunContinuationsAsynchronously), IDisposable
    {
        private static readonly TimeSpan LongestTimer = TimeSpan.FromMilliseconds(uint.MaxValue - 1);

        // On the system clock the timeout's timer starts only if the work does not finish at once (most runs over a
        // memory level do), counting from _started; another clock's timer (or a timeout no timer takes) starts at once.
        private readonly long _started = IsLazy(owner, timeout) ? Stopwatch.GetTimestamp() : 0;
        private readonly CancellationTokenSource _cts = IsLazy(owner, timeout) ? new() : new(timeout, owner._timeProvider);
        private int _waiters = 1; // its creator, from the start: no joiner leaving first can abandon it
        private volatile bool _abandoned;

        public bool TryJoin()
        {
            lock (this)
            {
                if (_abandoned)
                {
                    return false;
                }

                _waiters++;
                return true;
            }
        }

        public Task<TResult> WaitAsync(CancellationToken cancellationToken)
            => cancellationToken.CanBeCanceled && !Task.IsCompleted ? WaitCancellableAsync(cancellationToken) : Task;

        public void Dispose() => _cts.Dispose();

        // Never throws: the outcome completes this flight after the entry has left the map (so a new call starts a new run).
        public async Task RunAsync<TState>(TState state, Func<TState, CancellationToken, ValueTask<TResult>> work)
        {
            Exception? failure = null;
            var result = default(TResult)!;
            Task<TResult>? running = null;
            try
            {
                var outcome = work(state, _cts.Token);
                if (outcome.IsCompletedSuccessfully)
                {
                    result = outcome.Result;
                }
                else
                {
                    running = outcome.AsTask();
                    if (_started != 0)
                    {
                        var remaining = timeout - Stopwatch.GetElapsedTime(_started);
                        _cts.CancelAfter(remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero);
                    }

                    result = await running.WaitAsync(_cts.Token).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException ex) when (_cts.IsCancellationRequested && !_abandoned)
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
                owner._flights.TryRemove(new KeyValuePair<string, Flight>(key, this));
                _cts.Dispose();
                if (running is { IsCompleted: false })
                {
                    // Given up on (timeout, or every waiter gone): whatever it ends with must not go unobserved.
                    TaskObservation.ObserveFailure(running);
                }
            }

            // A failure, cancellations included, reaches every waiter as the same instance (type, message, inner).
            if (failure is null)
            {
                TrySetResult(result);
            }
            else
            {
                TrySetException(failure);
                if (_abandoned)
                {
                    // No waiter is left to observe it.
                    _ = Task.Exception;
                }
            }
        }

        private async Task<TResult> WaitCancellableAsync(CancellationToken cancellationToken)
        {
            try
            {
                return await Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                Leave();
                throw;
            }
        }

        private static bool IsLazy(SingleFlight<TResult> owner, TimeSpan timeout)
            => ReferenceEquals(owner._timeProvider, TimeProvider.System) && timeout <= LongestTimer;

        private void Leave()
        {
            lock (this)
            {
                if (--_waiters > 0 || Task.IsCompleted)
                {
                    return;
                }

                _abandoned = true;
            }

            try
            {
                _cts.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // The run ended meanwhile; nothing left to cancel.
            }
        }
    }
}
