namespace HybridCaching;

/// <summary>
/// An adapter that can also read and write synchronously, without waiting on async I/O of its own (an in-process store
/// directly, a Redis connection through its client's synchronous commands, a wrapped
/// <see cref="Microsoft.Extensions.Caching.Distributed.IDistributedCache"/> through its own synchronous members). The
/// synchronous members of <see cref="Distributed.CacheAdapterDistributedCache"/> run through it, and throw
/// <see cref="NotSupportedException"/> over an adapter without it.
/// </summary>
/// <remarks>Implemented by <see cref="MemoryCache"/>, <c>RedisCache</c>, <see cref="HybridCache"/> and
/// <see cref="Distributed.DistributedCacheAdapter"/>. Each member follows the contract of its async twin on
/// <see cref="ICacheAdapter"/>; a wrapping adapter of your own forwards it, and reports
/// <see cref="CanRunSynchronously"/> = <see langword="false"/> when what it wraps has no synchronous path.</remarks>
public interface ICacheSyncStorage
{
    /// <summary>Whether the synchronous members work: <see langword="false"/> for an adapter that wraps others without a
    /// synchronous path (a <see cref="HybridCache"/> over such a level), whose members then throw
    /// <see cref="NotSupportedException"/>.</summary>
    bool CanRunSynchronously { get; }

    /// <inheritdoc cref="ICacheAdapter.GetAsync"/>
    byte[]? Get(string key);

    /// <inheritdoc cref="ICacheAdapter.FetchAsync"/>
    CacheFetchResult Fetch(string key);

    /// <inheritdoc cref="ICacheAdapter.SetAsync"/>
    void Set(string key, byte[] value, TimeSpan ttl);

    /// <inheritdoc cref="ICacheAdapter.DeleteAsync"/>
    void Delete(IEnumerable<string> keys);

    /// <inheritdoc cref="ICacheRenewal.RenewIfUnchangedAsync"/>
    /// <remarks>An adapter that cannot renew conditionally answers <see langword="false"/> and changes nothing.</remarks>
    bool RenewIfUnchanged(string key, byte[] expected, TimeSpan ttl);
}
