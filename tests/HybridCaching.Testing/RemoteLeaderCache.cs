namespace HybridCaching.Testing;

/// <summary>Wraps an adapter with a race that is always lost to a leader on another server: each returns the result
/// that leader left under the lock (e.g. one a Go service wrote), and the run is never started here.</summary>
public sealed class RemoteLeaderCache(ICacheAdapter inner, RaceResult remoteResult) : DelegatingCacheAdapter(inner), ICacheRace
{
    private int _races;

    public int Races => Volatile.Read(ref _races);

    public Task<RaceResult> RaceAsync(string key, Func<CancellationToken, Task<RaceResult>> fn, TimeSpan waitFor, TimeSpan ttl, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _races);
        return Task.FromResult(remoteResult);
    }
}
