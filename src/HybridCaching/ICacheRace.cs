namespace HybridCaching;

/// <summary>
/// The race across servers: a capability of a cache that several processes share, letting one of them run the work
/// for a key while the others wait for its result. <see cref="CacheFunc"/> detects it once, when it is created, and
/// races each miss through it; over a cache without it, a miss runs the factory in process.
/// </summary>
/// <remarks>Implemented by <c>RedisCache</c> (the Go original's lock protocol) and by <see cref="HybridCache"/> (its
/// upstream's race, or the work run here). Duplicates within one process are suppressed before the race, by
/// <see cref="CacheFunc"/>'s single-flight; concurrent races in one process stay correct all the same.</remarks>
public interface ICacheRace
{
    /// <summary>
    /// Runs <paramref name="fn"/> once per key across every process sharing the cache: the caller that wins the race
    /// runs it; a caller that comes while it runs, or within <paramref name="ttl"/> after it ended, receives its result
    /// (the same value, or its failure) instead of running it.
    /// </summary>
    /// <param name="key">The key to suppress duplicate runs on; not null or empty.</param>
    /// <param name="fn">The work to run. Its token is cancelled when <paramref name="waitFor"/> passes or
    /// <paramref name="cancellationToken"/> is cancelled.</param>
    /// <param name="waitFor">How long the run, or the wait for another process's run, may take; must be positive.</param>
    /// <param name="ttl">How long a result keeps answering later racers after it is produced; must be positive.</param>
    /// <param name="cancellationToken">Cancels the race (and the work, when this caller runs it).</param>
    /// <returns>The run's result, produced here or by another process.</returns>
    /// <exception cref="TimeoutException"><paramref name="waitFor"/> passed before the run finished.</exception>
    /// <exception cref="RemoteRaceException">The run another process led failed; its message is the leader's.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    Task<RaceResult> RaceAsync(
        string key,
        Func<CancellationToken, Task<RaceResult>> fn,
        TimeSpan waitFor,
        TimeSpan ttl,
        CancellationToken cancellationToken = default);
}
