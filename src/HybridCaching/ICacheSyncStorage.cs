namespace HybridCaching;

/// <summary>
/// An adapter that can also read and write synchronously, on a path that does not wait on async I/O of its own: an
/// in-process store directly, a Redis connection through its client's own synchronous commands, a wrapped
/// <see cref="Microsoft.Extensions.Caching.Distributed.IDistributedCache"/> through its own synchronous members (as
/// synchronous as that cache makes them). The
/// <see cref="Microsoft.Extensions.Caching.Distributed.IDistributedCache"/> bridge (<see cref="Distributed.CacheAdapterDistributedCache"/>) detects it once, when
/// it is created, and serves its synchronous members (<c>Get</c>, <c>Set</c>, <c>Refresh</c>, <c>Remove</c>, and so
/// <c>GetString</c>/<c>SetString</c>) through it; over an adapter without it, those members throw
/// <see cref="NotSupportedException"/> naming the adapter and the async member to use.
/// </summary>
/// <remarks>
/// <para>Implemented by <see cref="MemoryCache"/>, <c>RedisCache</c> (StackExchange.Redis's synchronous API),
/// <see cref="HybridCache"/> (its levels' synchronous paths, composed as its async members compose theirs) and
/// <see cref="Distributed.DistributedCacheAdapter"/> (the wrapped <see cref="Microsoft.Extensions.Caching.Distributed.IDistributedCache"/>'s own synchronous
/// members). Each member follows the contract of its async twin on <see cref="ICacheAdapter"/> (arguments, misses,
/// failures); a wrapping adapter of your own forwards it, and reports <see cref="CanRunSynchronously"/> =
/// <see langword="false"/> when what it wraps has no synchronous path.</para>
/// </remarks>
public interface ICacheSyncStorage
{
    /// <summary>Whether the synchronous members work: <see langword="false"/> for an adapter that wraps others without a
    /// synchronous path (a <see cref="HybridCache"/> over such a level), whose members then throw
    /// <see cref="NotSupportedException"/>.</summary>
    bool CanRunSynchronously { get; }

    /// <summary>Gets the value stored under <paramref name="key"/>, as <see cref="ICacheAdapter.GetAsync"/> does.</summary>
    /// <param name="key">The key; not null or empty.</param>
    /// <returns>The stored bytes, or <see langword="null"/> when the key is not found.</returns>
    byte[]? Get(string key);

    /// <summary>Gets the value stored under <paramref name="key"/> and its remaining time to live, as
    /// <see cref="ICacheAdapter.FetchAsync"/> does.</summary>
    /// <param name="key">The key; not null or empty.</param>
    /// <returns>The value and its remaining TTL, or <see cref="CacheFetchResult.NotFound"/>.</returns>
    CacheFetchResult Fetch(string key);

    /// <summary>Stores <paramref name="value"/> under <paramref name="key"/> for <paramref name="ttl"/>, as
    /// <see cref="ICacheAdapter.SetAsync"/> does.</summary>
    /// <param name="key">The key; not null or empty.</param>
    /// <param name="value">The bytes to store; the cache owns the array afterwards.</param>
    /// <param name="ttl">How long the value lives; must be positive.</param>
    void Set(string key, byte[] value, TimeSpan ttl);

    /// <summary>Removes the given keys, as <see cref="ICacheAdapter.DeleteAsync"/> does.</summary>
    /// <param name="keys">The keys to remove; none may be null or empty.</param>
    void Delete(IEnumerable<string> keys);

    /// <summary>Renews the entry's time to live only while it holds <paramref name="expected"/>, as
    /// <see cref="ICacheRenewal.RenewIfUnchangedAsync"/> does; an adapter that cannot renew conditionally answers
    /// <see langword="false"/> and changes nothing.</summary>
    /// <param name="key">The key; not null or empty.</param>
    /// <param name="expected">The bytes the caller read.</param>
    /// <param name="ttl">The new time to live, from now; must be positive.</param>
    /// <returns><see langword="true"/> when renewed.</returns>
    bool RenewIfUnchanged(string key, byte[] expected, TimeSpan ttl);
}
