using System.Diagnostics;
using Microsoft.Extensions.Caching.Distributed;

namespace HybridCaching.Distributed;

/// <summary>
/// An <see cref="ICacheAdapter"/> over any <see cref="IDistributedCache"/> (SQL Server, Cosmos DB, NCache, ...), so a
/// <see cref="CacheFunc"/> (or a <see cref="HybridCache"/> upstream level) can run on it.
/// </summary>
/// <remarks>
/// <para>Values are stored as they are, with <see cref="DistributedCacheEntryOptions.AbsoluteExpirationRelativeToNow"/> =
/// the TTL (none for <see cref="TimeSpan.MaxValue"/>). The synchronous members call the wrapped cache's own.</para>
/// <para>No race across servers (<see cref="IDistributedCache"/> has no atomic "set if absent"): N servers may run a
/// missing key's factory N times. <see cref="FetchAsync"/> cannot learn the remaining TTL: a found value comes with
/// <see cref="Timeout.InfiniteTimeSpan"/>. <see cref="ClearAsync"/> throws <see cref="NotSupportedException"/>, as
/// <see cref="IDistributedCache"/> cannot enumerate its keys. The <see cref="IDistributedCache"/> is not owned.</para>
/// </remarks>
[DebuggerDisplay("{_cache}")]
public sealed class DistributedCacheAdapter : ICacheAdapter, ICacheSyncStorage
{
    private readonly IDistributedCache _cache;
    private bool _disposed;

    /// <summary>Creates an adapter over <paramref name="cache"/>.</summary>
    /// <param name="cache">The distributed cache to store in; not owned.</param>
    public DistributedCacheAdapter(IDistributedCache cache)
    {
        ArgumentNullException.ThrowIfNull(cache);
        _cache = cache;
    }

    /// <inheritdoc/>
    public ValueTask<byte[]?> GetAsync(string key, CancellationToken cancellationToken = default)
    {
        CacheArgument.ThrowIfInvalidKey(key);
        ObjectDisposedException.ThrowIf(_disposed, this);
        return new ValueTask<byte[]?>(_cache.GetAsync(key, cancellationToken));
    }

    /// <inheritdoc/>
    public async ValueTask<CacheFetchResult> FetchAsync(string key, CancellationToken cancellationToken = default)
    {
        var value = await GetAsync(key, cancellationToken).ConfigureAwait(false);
        return value is null ? CacheFetchResult.NotFound : new CacheFetchResult(value, Timeout.InfiniteTimeSpan);
    }

    /// <inheritdoc/>
    public ValueTask SetAsync(string key, byte[] value, TimeSpan ttl, CancellationToken cancellationToken = default)
    {
        CacheArgument.ThrowIfInvalidWrite(key, value, ttl);
        ObjectDisposedException.ThrowIf(_disposed, this);
        return new ValueTask(_cache.SetAsync(key, value, Options(ttl), cancellationToken));
    }

    /// <inheritdoc/>
    /// <remarks>Always <see langword="true"/>: the wrapped cache's own synchronous members.</remarks>
    public bool CanRunSynchronously => true;

    /// <inheritdoc/>
    public byte[]? Get(string key)
    {
        CacheArgument.ThrowIfInvalidKey(key);
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _cache.Get(key);
    }

    /// <inheritdoc/>
    public CacheFetchResult Fetch(string key)
        => Get(key) is { } value ? new CacheFetchResult(value, Timeout.InfiniteTimeSpan) : CacheFetchResult.NotFound;

    /// <inheritdoc/>
    public void Set(string key, byte[] value, TimeSpan ttl)
    {
        CacheArgument.ThrowIfInvalidWrite(key, value, ttl);
        ObjectDisposedException.ThrowIf(_disposed, this);
        _cache.Set(key, value, Options(ttl));
    }

    /// <inheritdoc/>
    public void Delete(IEnumerable<string> keys)
    {
        var list = CacheArgument.ThrowIfInvalidKeys(keys);
        ObjectDisposedException.ThrowIf(_disposed, this);
        foreach (var key in list)
        {
            _cache.Remove(key);
        }
    }

    /// <inheritdoc/>
    /// <remarks>Always <see langword="false"/>: <see cref="IDistributedCache"/> cannot renew an entry conditionally.</remarks>
    public bool RenewIfUnchanged(string key, byte[] expected, TimeSpan ttl)
    {
        CacheArgument.ThrowIfInvalidWrite(key, expected, ttl);
        ObjectDisposedException.ThrowIf(_disposed, this);
        return false;
    }

    /// <inheritdoc/>
    public async ValueTask DeleteAsync(IEnumerable<string> keys, CancellationToken cancellationToken = default)
    {
        var list = CacheArgument.ThrowIfInvalidKeys(keys);
        ObjectDisposedException.ThrowIf(_disposed, this);
        foreach (var key in list)
        {
            await _cache.RemoveAsync(key, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc/>
    /// <exception cref="NotSupportedException">Always: <see cref="IDistributedCache"/> cannot enumerate or clear its keys.</exception>
    public ValueTask ClearAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        throw new NotSupportedException(
            "IDistributedCache cannot enumerate or clear its keys, so DistributedCacheAdapter cannot clear it. Remove keys with DeleteAsync, or clear the underlying store directly.");
    }

    /// <inheritdoc/>
    public void Dispose() => _disposed = true;

    // TimeSpan.MaxValue is "indefinitely" (what the IDistributedCache bridge asks for an entry without expiration): no
    // expiration at all, rather than a date past DateTimeOffset.MaxValue.
    private static DistributedCacheEntryOptions Options(TimeSpan ttl)
        => ttl == TimeSpan.MaxValue ? new DistributedCacheEntryOptions() : new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = ttl };

    /// <inheritdoc/>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}
