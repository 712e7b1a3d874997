namespace HybridCaching;

// Deadlines: every cache operation a call makes is bounded by what is left of its waitFor, and a read by a quarter of it.
public sealed partial class CacheFunc
{
    // A pending cache read bounded by a quarter of waitFor (and what is left of it), so that a hung cache leaves a miss at
    // least three quarters for its race and factory; a failed or late read is logged and is a miss (null).
    private async ValueTask<byte[]?> ReadWithinAsync(ValueTask<byte[]?> pending, string key, long started, CancellationToken cancellationToken)
    {
        var read = pending.AsTask();
        var remaining = Remaining(started);
        var budget = _waitFor / 4 < remaining ? _waitFor / 4 : remaining;
        try
        {
            try
            {
                return await read.WaitAsync(budget, _timeProvider, cancellationToken).ConfigureAwait(false);
            }
            catch when (!read.IsCompleted)
            {
                // A read abandoned at the deadline (or on cancellation) is not awaited again: observe its outcome.
                _ = read.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                throw;
            }
        }
        catch (Exception ex) when (IsCacheFailure(ex, cancellationToken))
        {
            Log.ReadFailed(_logger, key, ex);
            CacheTelemetry.Count(CacheTelemetry.Errors, _tags, "operation", "read");
            return null;
        }
    }

    // What is left of waitFor for a call that began at started (at least a millisecond: a race needs a positive time).
    private TimeSpan Remaining(long started)
    {
        var remaining = _waitFor - _timeProvider.GetElapsedTime(started);
        return remaining > TimeSpan.FromMilliseconds(1) ? remaining : TimeSpan.FromMilliseconds(1);
    }
}
