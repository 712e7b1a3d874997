using System.Runtime.ExceptionServices;
using Microsoft.Extensions.Logging;

namespace HybridCaching.Redis;

// Bounds every Redis round trip by OperationTimeout and the caller's token. A server that lets one run past it (hung:
// SIGSTOP, a stalled network) is marked unresponsive: calls fail at once until a background PING is answered (or stopping
// fires). A call abandoned at its bound is observed, so a late failure raises no UnobservedTaskException.
internal sealed partial class ResponseGuard(TimeSpan timeout, TimeProvider time, Func<Task> ping, ILogger logger, CancellationToken stopping)
{
    private static readonly TimeSpan ProbeInterval = TimeSpan.FromMilliseconds(100);

    private int _unresponsive;

    public void ThrowIfUnresponsive()
    {
        if (Volatile.Read(ref _unresponsive) != 0)
        {
            throw new TimeoutException($"Redis did not answer within {(long)timeout.TotalMilliseconds} ms; failing fast until it answers again.");
        }
    }

    // A budget shorter than the operation timeout (what a race can give this step of its waitFor) that runs out fails the
    // call only: the server is not marked unresponsive for it.
    public async Task WaitAsync(Task pending, CancellationToken cancellationToken, TimeSpan? budget = null)
    {
        try
        {
            await Bound(pending, budget ?? TimeSpan.MaxValue, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            ExceptionDispatchInfo.Throw(Failed(ex, pending, budget ?? TimeSpan.MaxValue));
        }
    }

    // WaitAsync in one method less (for the hot path): the caller sends a failure of the task returned through Failed.
    public Task Bound(Task pending, TimeSpan budget, CancellationToken cancellationToken)
        => pending.IsCompleted ? pending : pending.WaitAsync(budget < timeout ? budget : timeout, time, cancellationToken);

    // A command abandoned at its bound or on cancellation is observed; running out of the operation timeout (not a shorter
    // budget) marks the server unresponsive. Returns the exception to throw.
    public Exception Failed(Exception failure, Task pending, TimeSpan budget)
    {
        if (pending.IsCompleted || failure is not (TimeoutException or OperationCanceledException))
        {
            return failure;
        }

        TaskObservation.ObserveFailure(pending);
        if (failure is OperationCanceledException)
        {
            return failure;
        }

        if (budget < timeout)
        {
            return new TimeoutException($"Redis did not answer within the {(long)budget.TotalMilliseconds} ms this call could give it.");
        }

        if (Interlocked.Exchange(ref _unresponsive, 1) == 0)
        {
            LogUnresponsive(logger, (long)timeout.TotalMilliseconds);
            _ = ProbeAsync();
        }

        return new TimeoutException($"Redis did not answer within {(long)timeout.TotalMilliseconds} ms.");
    }

    // Never throws: PINGs until the server answers one in time (or the cache is disposed), then lets calls through again.
    private async Task ProbeAsync()
    {
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(ProbeInterval, time, stopping).ConfigureAwait(false);
                await WaitAsync(ping(), stopping).ConfigureAwait(false);
                Volatile.Write(ref _unresponsive, 0);
                LogResponsiveAgain(logger);
                return;
            }
#pragma warning disable CA1031 // a failed probe only means "not yet": try again after the interval (the loop ends once stopping)
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
