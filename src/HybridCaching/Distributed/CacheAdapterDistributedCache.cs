using System.Diagnostics;
using Microsoft.Extensions.Caching.Distributed;

namespace HybridCaching.Distributed;

/// <summary>
/// An <see cref="IDistributedCache"/> over any <see cref="ICacheAdapter"/>, so code written against
/// <see cref="IDistributedCache"/> (session state, third-party libraries) stores in this library's memory, Redis or
/// hybrid levels.
/// </summary>
/// <remarks>
/// <para>Absolute (a date, or relative to now) and sliding expiration are honoured, to the millisecond; with both, the
/// entry lives until the earlier. An entry with neither lives indefinitely, as with Microsoft's caches, unless a default
/// TTL is given. Every entry is stored with a 20-byte header that records them, so these entries are not
/// <see cref="CacheFunc"/> envelopes nor Go-readable (such readers see a miss): keep these keys apart from
/// <see cref="CacheFunc"/> keys. Arguments are checked as Microsoft's caches check them; the async members report every
/// failure through their task.</para>
/// <para>A read or <see cref="RefreshAsync"/> of a sliding entry renews its TTL only if the entry still holds the bytes
/// read (<see cref="ICacheRenewal"/>), so a racing remove or write is never undone; over an adapter without
/// <see cref="ICacheRenewal"/>, <see cref="SetAsync"/> with a sliding window throws <see cref="NotSupportedException"/>.
/// The synchronous members run on the adapter's <see cref="ICacheSyncStorage"/> path, never blocking a thread on async
/// I/O, and throw <see cref="NotSupportedException"/> over an adapter without one. The adapter is not owned. See
/// docs/distributed-cache.md.</para>
/// </remarks>
[DebuggerDisplay("{_cache}")]
public sealed class CacheAdapterDistributedCache : IDistributedCache
{
    private readonly ICacheAdapter _cache;
    private readonly ICacheSyncStorage? _sync;
    private readonly TimeSpan _defaultTtl;
    private readonly TimeProvider _timeProvider;

    /// <summary>Creates an <see cref="IDistributedCache"/> over <paramref name="cache"/>.</summary>
    /// <param name="cache">Where entries are stored; not owned.</param>
    /// <param name="defaultTtl">How long an entry set without any expiration lives; positive. Default: indefinitely, as
    /// with Microsoft's caches (a memory level caps it at its maximum TTL).</param>
    /// <param name="timeProvider">The clock for expirations; <see cref="TimeProvider.System"/> when null.</param>
    public CacheAdapterDistributedCache(ICacheAdapter cache, TimeSpan? defaultTtl = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(cache);
        if (defaultTtl is { } ttl)
        {
            CacheArgument.ThrowIfNotPositive(ttl, nameof(defaultTtl));
        }

        _cache = cache;
        _sync = cache is ICacheSyncStorage { CanRunSynchronously: true } sync ? sync : null;
        _defaultTtl = defaultTtl ?? TimeSpan.MaxValue;
        _timeProvider = timeProvider ?? TimeProvider.System;
    }

    /// <inheritdoc/>
    /// <exception cref="NotSupportedException">The adapter has no synchronous path (<see cref="ICacheSyncStorage"/>).</exception>
    public byte[]? Get(string key) => Read(key, nameof(Get), nameof(GetAsync));

    /// <inheritdoc/>
    public Task<byte[]?> GetAsync(string key, CancellationToken token = default) => ReadAsync(key, token);

    /// <inheritdoc/>
    /// <exception cref="ArgumentOutOfRangeException">The absolute expiration is not in the future.</exception>
    /// <exception cref="NotSupportedException">A sliding expiration over an adapter that is not an <see cref="ICacheRenewal"/>,
    /// or an adapter without a synchronous path.</exception>
    public void Set(string key, byte[] value, DistributedCacheEntryOptions options)
    {
        var (stored, ttl) = Prepare(key, value, options);
        Sync(nameof(Set), nameof(SetAsync)).Set(key, stored, ttl);
    }

    /// <inheritdoc/>
    /// <exception cref="ArgumentOutOfRangeException">The absolute expiration is not in the future.</exception>
    /// <exception cref="NotSupportedException">A sliding expiration over an adapter that is not an <see cref="ICacheRenewal"/>.</exception>
    public async Task SetAsync(string key, byte[] value, DistributedCacheEntryOptions options, CancellationToken token = default)
    {
        var (stored, ttl) = Prepare(key, value, options);
        await _cache.SetAsync(key, stored, ttl, token).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    /// <exception cref="NotSupportedException">The adapter has no synchronous path (<see cref="ICacheSyncStorage"/>).</exception>
    public void Refresh(string key) => Read(key, nameof(Refresh), nameof(RefreshAsync));

    /// <inheritdoc/>
    public Task RefreshAsync(string key, CancellationToken token = default) => ReadAsync(key, token);

    /// <inheritdoc/>
    /// <exception cref="NotSupportedException">The adapter has no synchronous path (<see cref="ICacheSyncStorage"/>).</exception>
    public void Remove(string key)
    {
        CacheArgument.ThrowIfInvalidKey(key);
        Sync(nameof(Remove), nameof(RemoveAsync)).Delete([key]);
    }

    /// <inheritdoc/>
    public async Task RemoveAsync(string key, CancellationToken token = default)
    {
        CacheArgument.ThrowIfInvalidKey(key);
        await _cache.DeleteAsync([key], token).ConfigureAwait(false);
    }

    // The stored bytes and the TTL they are written with; throws, writing nothing, on bad arguments (with the parameter
    // names Microsoft's caches use).
    private (byte[] Stored, TimeSpan Ttl) Prepare(string key, byte[] value, DistributedCacheEntryOptions options)
    {
        CacheArgument.ThrowIfInvalidKey(key);
        ArgumentNullException.ThrowIfNull(value);
        ArgumentNullException.ThrowIfNull(options);
        if (options.SlidingExpiration is not null && _cache is not ICacheRenewal)
        {
            throw new NotSupportedException(
                $"Sliding expiration needs an adapter that can renew an entry only while it is unchanged (ICacheRenewal); {_cache.GetType().Name} cannot, "
                + "and rewriting the value read would bring back entries removed meanwhile. Use an absolute expiration, or implement ICacheRenewal "
                + "(a wrapping adapter forwards it to the adapter it wraps).");
        }

        var now = _timeProvider.GetUtcNow();

        // As Microsoft's Redis cache: an absolute expiration must be ahead, even when a relative one is set too (the message
        // starts as Microsoft's does, which its tests check); the relative one then wins.
        if (options.AbsoluteExpiration <= now)
        {
            throw new ArgumentOutOfRangeException(
                nameof(DistributedCacheEntryOptions.AbsoluteExpiration), options.AbsoluteExpiration, "The absolute expiration value must be in the future.");
        }

        DateTimeOffset? absolute = options.AbsoluteExpirationRelativeToNow is { } relative ? now + relative : options.AbsoluteExpiration;
        var entry = new DistributedEntry(absolute, options.SlidingExpiration);
        return (entry.Write(value), entry.TtlAt(now, _defaultTtl));
    }

    // The stored entry's value; a sliding entry is renewed first, only if it still holds the bytes read (a remove or a
    // write since the read stands; the value read is still returned, as for a read just before them).
    private async Task<byte[]?> ReadAsync(string key, CancellationToken token)
    {
        CacheArgument.ThrowIfInvalidKey(key);
        var stored = await _cache.GetAsync(key, token).ConfigureAwait(false);
        var value = Unwrap(stored, out var slideTo);
        if (slideTo is { } ttl && _cache is ICacheRenewal renewal)
        {
            await renewal.RenewIfUnchangedAsync(key, stored!, ttl, token).ConfigureAwait(false);
        }

        return value;
    }

    // ReadAsync on the synchronous path; member and asyncMember name the caller in the error of an adapter without one.
    private byte[]? Read(string key, string member, string asyncMember)
    {
        CacheArgument.ThrowIfInvalidKey(key);
        var sync = Sync(member, asyncMember);
        var stored = sync.Get(key);
        var value = Unwrap(stored, out var slideTo);
        if (slideTo is { } ttl)
        {
            sync.RenewIfUnchanged(key, stored!, ttl);
        }

        return value;
    }

    // The value stored in an entry read back; null when missing, unreadable or past its absolute expiry. slideTo: the TTL
    // a sliding entry is renewed to.
    private byte[]? Unwrap(byte[]? stored, out TimeSpan? slideTo)
    {
        slideTo = null;
        if (stored is null || !DistributedEntry.TryRead(stored, out var entry))
        {
            return null;
        }

        var ttl = entry.TtlAt(_timeProvider.GetUtcNow(), _defaultTtl);
        if (ttl <= TimeSpan.Zero)
        {
            return null;
        }

        slideTo = entry.Sliding is null ? null : ttl;
        return stored.AsSpan(DistributedEntry.HeaderLength).ToArray();
    }

    private ICacheSyncStorage Sync(string member, string asyncMember) => _sync ?? throw new NotSupportedException(
        $"CacheAdapterDistributedCache.{member} needs an adapter with a synchronous path (ICacheSyncStorage), and {_cache.GetType().Name} has none: "
        + $"this library does not block a thread on async I/O. Use {asyncMember}, or an adapter that runs synchronously (MemoryCache, RedisCache, "
        + "a HybridCache over them, DistributedCacheAdapter).");
}
