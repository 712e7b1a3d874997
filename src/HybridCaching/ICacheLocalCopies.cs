namespace HybridCaching;

/// <summary>
/// A cache that keeps local copies of the entries of a level shared with other processes (a capability
/// <see cref="CacheFunc"/> detects once): a factory's result stays local when the shared level fails, and tag
/// invalidation times are read from the shared level itself.
/// </summary>
/// <remarks>Implemented by <see cref="HybridCache"/> (shared level: its upstream; local: its downstream), and open to an
/// adapter of your own that fronts a shared cache with a local one.</remarks>
public interface ICacheLocalCopies
{
    /// <summary>How many invalidations other processes have announced to this one so far: a value read from the shared
    /// level while this number changed may predate one of them, and is not copied locally.</summary>
    long InvalidationsReceived { get; }

    /// <summary>Reads <paramref name="key"/> from the shared level itself, copying nothing; its failures reach the
    /// caller (unlike <see cref="ICacheAdapter.FetchAsync"/>, which a local copy may answer instead).</summary>
    /// <param name="key">The key; not null or empty.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The shared level's value and remaining time to live.</returns>
    ValueTask<CacheFetchResult> FetchSharedAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>Stores a copy of a shared value in this process only.</summary>
    /// <param name="key">The key; not null or empty.</param>
    /// <param name="value">The bytes.</param>
    /// <param name="ttl">How long the copy lives; positive.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes once the copy is stored.</returns>
    ValueTask CopyLocallyAsync(string key, byte[] value, TimeSpan ttl, CancellationToken cancellationToken = default);

    /// <summary>Stores a value this process produced (a factory's result): locally, then in the shared level, whose
    /// failure is logged and counted, not thrown. The local copy stays, so a shared level that is down does not turn
    /// every call into a factory run.</summary>
    /// <param name="key">The key; not null or empty.</param>
    /// <param name="value">The bytes.</param>
    /// <param name="ttl">How long the value lives; positive.</param>
    /// <returns>A task that completes once the value is stored (or the shared write has failed).</returns>
    ValueTask StoreProducedAsync(string key, byte[] value, TimeSpan ttl);
}
