using System.Collections.Concurrent;

namespace HybridCaching.Testing;

/// <summary>Wraps an adapter and records the result of every run it races: what a leader hands the adapter, which
/// Redis writes under the lock key for the servers waiting on it (SPEC §6).</summary>
public sealed class RaceRecordingCache(ICacheAdapter inner) : DelegatingCacheAdapter(inner)
{
    public ConcurrentQueue<RaceResult> Results { get; } = new();

    public override Task<RaceResult> RaceAsync(string key, Func<CancellationToken, Task<RaceResult>> fn, TimeSpan waitFor, TimeSpan ttl, CancellationToken cancellationToken = default)
        => Inner.RaceAsync(
            key,
            async token =>
            {
                var result = await fn(token);
                Results.Enqueue(result);
                return result;
            },
            waitFor,
            ttl,
            cancellationToken);
}
