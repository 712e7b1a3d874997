using Microsoft.Extensions.Logging;

namespace HybridCaching.Redis;

// Bounds every Redis round trip by OperationTimeout and the caller's token. A server that lets one run past it (hung:
// SIGSTOP, a stalled network) is marked unresponsive: calls fail at once until a background PING is answered. A call
// abandoned at its bound is observed here, so a late failure raises no UnobservedTaskException.
internal sealed partial class ResponseGuard : IDisposable
{
    private static readonly TimeSpan ProbeInterval = TimeSpan.FromMilliseconds(100);

    private readonly TimeSpan _timeout;
    private readonly TimeProvider _time;
    private readonly Func<Task> _ping;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _disposed = new();
    private int _unresponsive;

    public ResponseGuard(TimeSpan timeout, TimeProvider time, Func<Task> ping, ILogger logger)
    {
        _timeout = timeout;
        _time = time;
        _ping = ping;
        _logger = logger;
    }

    public void ThrowIfUnresponsive()
    {
        if (Volatile.Read(ref _unresponsive) != 0)
        {
            throw new TimeoutException($"Redis did not answer within {(long)_timeout.TotalMilliseconds} ms; failing fast until it answers again.");
        }
    }

    public Task<T> WaitAsync<T>(Task<T> pending, CancellationToken cancellationToken)
        => WaitAsync(pending, _timeout, cancellationToken);

    // A budget shorter than the operation timeout (what a race can give this step of its waitFor) that runs out fails the
    // call only: the server is not marked unresponsive for it.
    public async Task<T> WaitAsync<T>(Task<T> pending, TimeSpan budget, CancellationToken cancellationToken)
    {
        try
        {
            return await Bound(pending, budget, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            var failure = Failed(ex, pending, budget);
            if (ReferenceEquals(failure, ex))
            {
                throw;
            }

            throw failure;
        }
    }

    /// <summary><paramref name="pending"/> bounded by the operation timeout (or <paramref name="budget"/> when shorter) and
    /// <paramref name="cancellationToken"/>: itself when already complete. A failure of the task it returns goes through
    /// <see cref="Failed"/> (as <see cref="WaitAsync{T}(Task{T}, TimeSpan, CancellationToken)"/> does, in one method less).</summary>
    /// <typeparam name="T">The reply type.</typeparam>
    /// <param name="pending">The command in flight.</param>
    /// <param name="budget">The longest the caller may wait; <see cref="TimeSpan.MaxValue"/> for the operation timeout.</param>
    /// <param name="cancellationToken">Carries the caller's deadline or cancellation.</param>
    /// <returns>The bounded command.</returns>
    public Task<T> Bound<T>(Task<T> pending, TimeSpan budget, CancellationToken cancellationToken)
        => pending.IsCompleted ? pending : pending.WaitAsync(budget < _timeout ? budget : _timeout, _time, cancellationToken);

    /// <summary>What a failure of a <see cref="Bound{T}"/> task means: a command abandoned at its bound or on cancellation
    /// is observed; running out of the operation timeout (not a shorter budget) marks the server unresponsive.</summary>
    /// <param name="failure">What the bounded task threw.</param>
    /// <param name="pending">The command in flight.</param>
    /// <param name="budget">The budget given to <see cref="Bound{T}"/>.</param>
    /// <returns>The exception to throw: <paramref name="failure"/> itself, or a <see cref="TimeoutException"/> saying which bound ran out.</returns>
    public Exception Failed(Exception failure, Task pending, TimeSpan budget)
    {
        if (pending.IsCompleted || failure is not (TimeoutException or OperationCanceledException))
        {
            return failure;
        }

        Observe(pending);
        if (failure is OperationCanceledException)
        {
            return failure;
        }

        var timeout = budget < _timeout ? budget : _timeout;
        if (timeout < _timeout)
        {
            return new TimeoutException($"Redis did not answer within the {(long)timeout.TotalMilliseconds} ms this call could give it.");
        }

        MarkUnresponsive();
        return new TimeoutException($"Redis did not answer within {(long)_timeout.TotalMilliseconds} ms.");
    }

    public Task WaitAsync(Task pending, CancellationToken cancellationToken, TimeSpan? budget = null)
        => pending.IsCompletedSuccessfully ? Task.CompletedTask : WaitAsync(AsBoolean(pending), budget ?? _timeout, cancellationToken);

    public void Dispose() => _disposed.Cancel(); // (not disposed: the probe may still read its token)

    private static async Task<bool> AsBoolean(Task task)
    {
        await task.ConfigureAwait(false);
        return true;
    }

    // A task given up on: its failure is observed, never left to surface as an unobserved task exception.
    internal static void Observe(Task task)
        => task.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    private void MarkUnresponsive()
    {
        if (Interlocked.Exchange(ref _unresponsive, 1) == 0)
        {
            LogUnresponsive(_logger, (long)_timeout.TotalMilliseconds);
            _ = ProbeAsync();
        }
    }

    // Never throws: PINGs until the server answers one in time (or the cache is disposed), then lets calls through again.
    private async Task ProbeAsync()
    {
        var stop = _disposed.Token;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(ProbeInterval, _time, stop).ConfigureAwait(false);
                var ping = _ping();
                try
                {
                    await ping.WaitAsync(_timeout, _time, stop).ConfigureAwait(false);
                }
                catch (Exception) when (!ping.IsCompleted)
                {
                    Observe(ping);
                    throw;
                }

                Volatile.Write(ref _unresponsive, 0);
                LogResponsiveAgain(_logger);
                return;
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // a failed probe only means "not yet": try again after the interval
            catch (Exception)
#pragma warning restore CA1031
            {
            }
        }
    }

    [LoggerMessage(EventId = 3010, Level = LogLevel.Warning, Message = "Redis did not answer within {TimeoutMs} ms: failing calls at once until it answers a PING.")]
    private static partial void LogUnresponsive(ILogger logger, long timeoutMs);

    [LoggerMessage(EventId = 3011, Level = LogLevel.Information, Message = "Redis answers again.")]
    private static partial void LogResponsiveAgain(ILogger logger);
}
