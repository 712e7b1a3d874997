using System.Collections.Concurrent;

namespace HybridCaching.Testing;

/// <summary>Wraps an adapter with a race that records the result of every run it races: what a leader hands the race,
/// which Redis writes under the lock key for the servers waiting on it (SPEC §6). It races through the inner adapter's
/// race when it has one, and runs the work itself otherwise.</summary>
public sealed class RaceRecordingCache(ICacheAdapter inner) : DelegatingCacheAdapter(inner), ICacheRace
{
    public ConcurrentQueue<RaceResult> Results { get; } = new();

    public Task<RaceResult> RaceAsync(string key, Func<CancellationToken, Task<RaceResult>> fn, TimeSpan waitFor, TimeSpan ttl, CancellationToken cancellationToken = default)
    {
        async Task<RaceResult> RecordAsync(CancellationToken token)
        {
            var result = await fn(token);
            Results.Enqueue(result);
            return result;
        }

        return Inner is ICacheRace race ? race.RaceAsync(key, RecordAsync, waitFor, ttl, cancellationToken) : RecordAsync(cancellationToken);
    }
}
