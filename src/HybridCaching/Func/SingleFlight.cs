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
    /// <param name="work">The work; its token fires on timeout or when every waiter has cancelled.</param>
    /// <param name="timeout">How long the run may take; must be positive.</param>
    /// <param name="cancellationToken">Cancels this caller's wait only.</param>
    /// <returns>The run's result.</returns>
    /// <exception cref="TimeoutException">The run did not finish within <paramref name="timeout"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public Task<TResult> RunAsync<TState>(
        string key,
        TState state,
        Func<TState, CancellationToken, Task<TResult>> work,
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

    private sealed class Flight : IDisposable
    {
        private readonly SingleFlight<TResult> _owner;
        private readonly string _key;
        private readonly TimeSpan _timeout;
        private readonly CancellationTokenSource _cts;
        private readonly object _gate = new();
        private readonly TaskCompletionSource<TResult> _result = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _waiters;
        private bool _abandoned;

        public Flight(SingleFlight<TResult> owner, string key, TimeSpan timeout)
        {
            _owner = owner;
            _key = key;
            _timeout = timeout;
            _cts = new CancellationTokenSource(timeout, owner._timeProvider);
        }

        public bool TryJoin()
        {
            lock (_gate)
            {
                if (_abandoned)
                {
                    return false;
                }

                _waiters++;
                return true;
            }
        }

        public void Start<TState>(TState state, Func<TState, CancellationToken, Task<TResult>> work)
            => _ = RunAsync(state, work);

        public Task<TResult> WaitAsync(CancellationToken cancellationToken)
            => cancellationToken.CanBeCanceled && !_result.Task.IsCompleted ? WaitCancellableAsync(cancellationToken) : _result.Task;

        public void Dispose() => _cts.Dispose();

        // Never throws: the outcome goes to _result, after the entry has left the map (so a caller
        // that sees the outcome and calls again starts a new run).
        private async Task RunAsync<TState>(TState state, Func<TState, CancellationToken, Task<TResult>> work)
        {
            Exception? failure = null;
            var result = default(TResult)!;
            Task<TResult>? running = null;
            try
            {
                running = work(state, _cts.Token);
                result = await running.WaitAsync(_cts.Token).ConfigureAwait(false);
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
                _result.TrySetResult(result);
            }
            else
            {
                _result.TrySetException(failure);
                if (IsAbandoned())
                {
                    // No waiter is left to observe it.
                    _ = _result.Task.Exception;
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
                return await _result.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                Leave();
                throw;
            }
        }

        private bool IsAbandoned()
        {
            lock (_gate)
            {
                return _abandoned;
            }
        }

        private void Leave()
        {
            lock (_gate)
            {
                if (--_waiters > 0 || _result.Task.IsCompleted)
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
