using System.Collections.Concurrent;
using System.Diagnostics;

namespace HybridCaching;

// Per-key single-flight: concurrent calls for a key share one run and its outcome (the same value or exception). A run
// leaves the map when it ends, so a later call starts a new one. Each caller may cancel its own wait; the work's token
// fires only at the timeout or when every waiter has cancelled. A run abandoned by all its callers is never joined.
[DebuggerDisplay("InFlight = {Count}")]
internal sealed class SingleFlight<TResult>
{
    private readonly ConcurrentDictionary<string, Flight> _flights = new(StringComparer.Ordinal);
    private readonly TimeProvider _timeProvider;

    public SingleFlight(TimeProvider? timeProvider = null) => _timeProvider = timeProvider ?? TimeProvider.System;

    public int Count => _flights.Count;

    // Starts a run for key, or joins the one in progress. Throws TimeoutException when it outlasts timeout.
    public Task<TResult> RunAsync<TState>(
        string key,
        TState state,
        Func<TState, CancellationToken, Task<TResult>> work,
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
                flight.TryJoin();
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

    private sealed class Flight : IDisposable
    {
        private readonly SingleFlight<TResult> _owner;
        private readonly string _key;
        private readonly TimeSpan _timeout;
        private readonly CancellationTokenSource _cts;
        private readonly object _gate = new();
        private readonly TaskCompletionSource<TResult> _result = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _waiters;
        private volatile bool _abandoned; // written under _gate

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

        public Task<TResult> WaitAsync(CancellationToken cancellationToken)
            => cancellationToken.CanBeCanceled && !_result.Task.IsCompleted ? WaitCancellableAsync(cancellationToken) : _result.Task;

        public void Dispose() => _cts.Dispose();

        // Never throws: the outcome goes to _result after the entry has left the map (so a new call starts a new run).
        public async Task RunAsync<TState>(TState state, Func<TState, CancellationToken, Task<TResult>> work)
        {
            Exception? failure = null;
            var result = default(TResult)!;
            Task<TResult>? running = null;
            try
            {
                running = work(state, _cts.Token);
                result = await running.WaitAsync(_cts.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException ex) when (_cts.IsCancellationRequested && !_abandoned)
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
                    // Given up on (timeout, or every waiter gone): whatever it ends with must not go unobserved.
                    _ = running.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
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
                if (_abandoned)
                {
                    // No waiter is left to observe it.
                    _ = _result.Task.Exception;
                }
            }
        }

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
