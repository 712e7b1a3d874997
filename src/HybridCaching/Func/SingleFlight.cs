using System.Collections.Concurrent;
using System.Diagnostics;

namespace HybridCaching;

/// <summary>
/// Per-key single-flight: concurrent calls for the same key share one run of the work and all
/// receive its outcome (the same value, or the same exception).
/// </summary>
/// <remarks>
/// A run's entry leaves the map as soon as the run ends, whatever the outcome, so a later call
/// starts a new run. Each caller may cancel its own wait; the work's token is cancelled only when
/// the timeout passes or every caller waiting on the run has cancelled, so one impatient caller
/// never fails the others. A run abandoned by all its callers is never joined by a new caller.
/// </remarks>
/// <typeparam name="TResult">The result of the work.</typeparam>
[DebuggerDisplay("InFlight = {Count}")]
internal sealed class SingleFlight<TResult>
{
    private readonly ConcurrentDictionary<string, Flight> _flights = new(StringComparer.Ordinal);
    private readonly TimeProvider _timeProvider;

    /// <summary>Creates a single-flight group.</summary>
    /// <param name="timeProvider">The clock for timeouts; <see cref="TimeProvider.System"/> when null.</param>
    public SingleFlight(TimeProvider? timeProvider = null) => _timeProvider = timeProvider ?? TimeProvider.System;

    /// <summary>The number of keys with a run in progress.</summary>
    public int Count => _flights.Count;

    /// <summary>
    /// Runs <paramref name="work"/> for <paramref name="key"/> unless a run for that key is already in
    /// progress, in which case this call waits for that run's outcome.
    /// </summary>
    /// <typeparam name="TState">State passed to <paramref name="work"/> (avoids a closure).</typeparam>
    /// <param name="key">The key; not null or empty.</param>
    /// <param name="state">Passed to <paramref name="work"/> when this call starts the run.</param>
    /// <param name="work">The work; its token fires on timeout or when every waiter has cancelled. A value task, so work
    /// finished at once (a factory over a memory level) costs no task of its own.</param>
    /// <param name="timeout">How long the run may take; must be positive.</param>
    /// <param name="cancellationToken">Cancels this caller's wait only.</param>
    /// <returns>The run's result.</returns>
    /// <exception cref="TimeoutException">The run did not finish within <paramref name="timeout"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public Task<TResult> RunAsync<TState>(
        string key,
        TState state,
        Func<TState, CancellationToken, ValueTask<TResult>> work,
        TimeSpan timeout,
        CancellationToken cancellationToken = default)
    {
        CacheArgument.ThrowIfInvalidKey(key);
        ArgumentNullException.ThrowIfNull(work);
        CacheArgument.ThrowIfNotPositive(timeout);
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
                flight.TryJoin();
                flight.Start(state, work);
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
    private sealed class Flight : TaskCompletionSource<TResult>, IDisposable
    {
        private static readonly TimeSpan LongestTimer = TimeSpan.FromMilliseconds(uint.MaxValue - 1);

        private readonly SingleFlight<TResult> _owner;
        private readonly string _key;
        private readonly TimeSpan _timeout;
        private readonly CancellationTokenSource _cts;
        private readonly long _started;
        private int _waiters;
        private bool _abandoned;

        public Flight(SingleFlight<TResult> owner, string key, TimeSpan timeout)
            : base(TaskCreationOptions.RunContinuationsAsynchronously)
        {
            _owner = owner;
            _key = key;
            _timeout = timeout;

            // On the system clock the timeout's timer starts only if the work does not finish at once (most runs over a
            // memory level do), counting from here; another clock's timer (or a timeout no timer takes) starts here.
            var lazy = ReferenceEquals(owner._timeProvider, TimeProvider.System) && timeout <= LongestTimer;
            _cts = lazy ? new CancellationTokenSource() : new CancellationTokenSource(timeout, owner._timeProvider);
            _started = lazy ? Stopwatch.GetTimestamp() : 0;
        }

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

        public void Start<TState>(TState state, Func<TState, CancellationToken, ValueTask<TResult>> work)
            => _ = RunAsync(state, work);

        public Task<TResult> WaitAsync(CancellationToken cancellationToken)
            => cancellationToken.CanBeCanceled && !Task.IsCompleted ? WaitCancellableAsync(cancellationToken) : Task;

        public void Dispose() => _cts.Dispose();

        // Never throws: the outcome completes this flight, after the entry has left the map (so a caller
        // that sees the outcome and calls again starts a new run).
        private async Task RunAsync<TState>(TState state, Func<TState, CancellationToken, ValueTask<TResult>> work)
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
                        var remaining = _timeout - Stopwatch.GetElapsedTime(_started);
                        _cts.CancelAfter(remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero);
                    }

                    result = await running.WaitAsync(_cts.Token).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException ex) when (_cts.IsCancellationRequested && !IsAbandoned())
            {
                failure = new TimeoutException($"The call for key '{_key}' did not complete within {_timeout}.", ex);
            }
#pragma warning disable CA1031 // every outcome, whatever its type, is delivered to all waiters
            catch (Exception ex)
#pragma warning restore CA1031
            {
                failure = ex;
            }
            finally
            {
                _owner._flights.TryRemove(new KeyValuePair<string, Flight>(_key, this));
                _cts.Dispose();
                if (running is { IsCompleted: false })
                {
                    // Given up on (timeout, or every waiter gone): whatever it ends with has no one left to
                    // receive it, and must not surface later as an unobserved task exception.
                    ObserveAbandoned(running);
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
                if (IsAbandoned())
                {
                    // No waiter is left to observe it.
                    _ = Task.Exception;
                }
            }
        }

        private static void ObserveAbandoned(Task task)
            => task.ContinueWith(
                static t => _ = t.Exception,
                CancellationToken.None,
                TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);

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

        private bool IsAbandoned()
        {
            lock (this)
            {
                return _abandoned;
            }
        }

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
