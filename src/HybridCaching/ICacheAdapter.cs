namespace HybridCaching;

/// <summary>
/// A cache that stores opaque bytes under string keys: the storage contract shared by the memory, Redis
/// and hybrid adapters, and the storage that <see cref="CacheFunc"/> runs on.
/// </summary>
/// <remarks>
/// Implementations are thread-safe and never block a thread waiting on I/O. A missing key is not an error (a
/// <see langword="null"/> value, <see cref="CacheFetchResult.Found"/> = <see langword="false"/>). Arrays returned may be
/// the stored instance (callers must not modify them), and an array passed to <see cref="SetAsync"/> is owned by the
/// cache. Disposing twice, either way, is harmless.
/// <para>What only some caches can do is a capability interface: <see cref="ICacheRace"/>, <see cref="ICacheRenewal"/>,
/// <see cref="ICacheSyncStorage"/>. Running a factory once per key is <see cref="CacheFunc"/>'s job.</para>
/// </remarks>
public interface ICacheAdapter : IAsyncDisposable, IDisposable
{
    /// <summary>Gets the value stored under <paramref name="key"/>, preferring speed over freshness
    /// (a hybrid adapter answers from memory first).</summary>
    /// <param name="key">The key; not null or empty.</param>
    /// <param name="cancellationToken">Cancels the lookup.</param>
    /// <returns>The stored bytes, or <see langword="null"/> when the key is not found.</returns>
    ValueTask<byte[]?> GetAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>Gets the freshest value stored under <paramref name="key"/> together with its remaining time to live
    /// (a hybrid adapter always asks its upstream and copies the result downstream).</summary>
    /// <param name="key">The key; not null or empty.</param>
    /// <param name="cancellationToken">Cancels the lookup.</param>
    /// <returns>The value and its remaining TTL, or <see cref="CacheFetchResult.NotFound"/>.</returns>
    ValueTask<CacheFetchResult> FetchAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>Stores <paramref name="value"/> under <paramref name="key"/> for <paramref name="ttl"/>
    /// (an adapter may cap the TTL, e.g. at the memory adapter's maximum).</summary>
    /// <param name="key">The key; not null or empty.</param>
    /// <param name="value">The bytes to store; the cache owns the array afterwards.</param>
    /// <param name="ttl">How long the value lives; must be positive.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    ValueTask SetAsync(string key, byte[] value, TimeSpan ttl, CancellationToken cancellationToken = default);

    /// <summary>Removes the given keys; keys that are not present are ignored.</summary>
    /// <param name="keys">The keys to remove; none may be null or empty.</param>
    /// <param name="cancellationToken">Cancels the removal.</param>
    ValueTask DeleteAsync(IEnumerable<string> keys, CancellationToken cancellationToken = default);

    /// <summary>Removes every entry this adapter owns (for Redis: the keys under its prefix, never lock keys).</summary>
    /// <param name="cancellationToken">Cancels the operation.</param>
    ValueTask ClearAsync(CancellationToken cancellationToken = default);
}
