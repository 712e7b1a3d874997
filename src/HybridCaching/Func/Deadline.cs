namespace HybridCaching;

/// <summary>A call's deadline: when it began, on its <see cref="CacheFunc"/>'s clock, and how long it may take (waitFor).
/// Every cache operation the call makes is bounded by a share of it: the entry's read and its tags' a quarter, a tag
/// read after a shared run half, the race and the factory what is left.</summary>
/// <param name="clock">The clock; the deadline starts now on it.</param>
/// <param name="waitFor">How long the call may take.</param>
internal readonly struct Deadline(TimeProvider clock, TimeSpan waitFor)
{
    private static readonly TimeSpan Least = TimeSpan.FromMilliseconds(1);

    private readonly long _began = clock.GetTimestamp();

    /// <summary>What is left of waitFor (at least a millisecond: a race needs a positive time).</summary>
    public TimeSpan Remaining => Until(1) is var left && left > Least ? left : Least;

    /// <summary>When the call began, in the clock's wall time.</summary>
    public DateTimeOffset Began => clock.GetUtcNow() - clock.GetElapsedTime(_began);

    /// <summary>What is left until a <paramref name="share"/> of waitFor has passed since the call began (zero or less: nothing).</summary>
    public TimeSpan Until(double share) => waitFor * share - clock.GetElapsedTime(_began);

    /// <summary>Waits for <paramref name="operation"/> until a <paramref name="share"/> of waitFor has passed since the
    /// call began: a <see cref="TimeoutException"/> after that. An operation given up on (late or cancelled) is not
    /// awaited again, so its outcome is observed here.</summary>
    public async Task<T> WithinAsync<T>(Task<T> operation, double share, CancellationToken cancellationToken)
    {
        var budget = Until(share);
        try
        {
            return await operation.WaitAsync(budget > TimeSpan.Zero ? budget : TimeSpan.Zero, clock, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (!operation.IsCompleted)
            {
                TaskObservation.ObserveFailure(operation);
            }
        }
    }
}
