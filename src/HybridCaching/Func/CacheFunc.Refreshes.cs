namespace HybridCaching;

// Counts the background refreshes under way, so tests (ours and users') can wait for them without polling.
public sealed partial class CacheFunc
{
    private readonly object _refreshCountGate = new();
    private int _refreshCount;
    private TaskCompletionSource? _refreshesIdle;

    /// <summary>The number of background refreshes under way.</summary>
    public int PendingBackgroundRefreshes
    {
        get
        {
            lock (_refreshCountGate)
            {
                return _refreshCount;
            }
        }
    }

    /// <summary>Completes when no background refresh is under way: at once if none is, otherwise when the last
    /// one running ends (written, failed, or found already refreshed). Meant for tests: after a stale hit, await it
    /// and the refreshed value is stored, with no polling or sleeping.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task that completes when the refreshes are idle.</returns>
    /// <remarks>A refresh whose factory failed keeps its slot for the retry window (<c>min(2 s, freshFor)</c> on the
    /// <see cref="CacheFunc"/>'s clock, so a fake clock must be advanced past it) before it counts as ended; a
    /// refresh started after this call returned its task is waited for too if it starts before the count reaches 0.</remarks>
    public Task WhenBackgroundRefreshesIdleAsync(CancellationToken cancellationToken = default)
    {
        lock (_refreshCountGate)
        {
            if (_refreshCount == 0)
            {
                return Task.CompletedTask;
            }

            _refreshesIdle ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _refreshesIdle.Task.WaitAsync(cancellationToken);
        }
    }

    private void RefreshStarted()
    {
        lock (_refreshCountGate)
        {
            _refreshCount++;
        }
    }

    private void RefreshEnded()
    {
        TaskCompletionSource? idle = null;
        lock (_refreshCountGate)
        {
            if (--_refreshCount == 0)
            {
                idle = _refreshesIdle;
                _refreshesIdle = null;
            }
        }

        idle?.TrySetResult();
    }
}
