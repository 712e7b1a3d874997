using System.Diagnostics;
using Microsoft.Extensions.Caching.Distributed;

namespace HybridCaching.Distributed;

/// <summary>
/// An <see cref="IDistributedCache"/> over any <see cref="ICacheAdapter"/>, so code written against
/// <see cref="IDistributedCache"/> (session state, third-party libraries) stores in this library's memory, Redis or
/// hybrid levels.
/// </summary>
/// <remarks>
/// <para><b>Expiration.</b> Absolute expiration (a date, or relative to now) and sliding expiration are honoured; when
/// both are set the entry lives until the earlier of the two. An entry with neither lives for the default TTL given
/// to the constructor. Every entry is stored with a 20-byte header that records them (see the docs'
/// <c>distributed-cache.md</c>): sliding expiration needs its window stored with the value, because
/// <see cref="ICacheAdapter"/> only knows a TTL.</para>
/// <para><b>Sliding.</b> A read or <see cref="RefreshAsync"/> of an entry with a sliding window renews its TTL through
/// <see cref="ICacheRenewal.RenewIfUnchangedAsync"/>: only if the entry still holds the bytes the read returned, so a
/// remove or a write racing the read is never undone (over Redis, one script per read, carrying the value back for
/// the comparison). Sliding expiration therefore needs an adapter that implements <see cref="ICacheRenewal"/>
/// (<see cref="MemoryCache"/>, <see cref="HybridCache"/> over such an upstream, <c>RedisCache</c>); over any other,
/// <see cref="SetAsync"/> with a sliding window throws <see cref="NotSupportedException"/> rather than rewrite
/// values it read. Entries without a sliding window are never touched by reads.</para>
/// <para><b>Interoperability.</b> The header makes these entries neither <see cref="CacheFunc"/> envelopes nor
/// Go-readable values: a Go service or a <see cref="CacheFunc"/> sharing the store reads them as misses (unreadable
/// payload), never as wrong data. Keep <see cref="IDistributedCache"/> keys apart from <see cref="CacheFunc"/> keys
/// (e.g. with a separate Redis prefix).</para>
/// <para><b>Synchronous members</b> (<see cref="Get"/>, <see cref="Set"/>, <see cref="Refresh"/>,
/// <see cref="Remove"/>) throw <see cref="NotSupportedException"/>: the adapters are asynchronous and this library
/// never blocks a thread on async I/O. Use the async members (for ASP.NET Core session state, call
/// <c>await session.LoadAsync()</c> before reading the session, as its documentation recommends).</para>
/// <para>This cache does not own the adapter: disposing the adapter is the caller's business.</para>
/// </remarks>
[DebuggerDisplay("{_cache}")]
public sealed class CacheAdapterDistributedCache : IDistributedCache
{
    private const string SyncNotSupported =
        "CacheAdapterDistributedCache is asynchronous only (cache adapters never block a thread on I/O); use the async member.";

    private readonly ICacheAdapter _cache;
    private readonly TimeSpan _defaultTtl;
    private readonly TimeProvider _timeProvider;

    /// <summary>Creates an <see cref="IDistributedCache"/> over <paramref name="cache"/>.</summary>
    /// <param name="cache">Where entries are stored; not owned.</param>
    /// <param name="defaultTtl">How long an entry set without any expiration lives; positive. Default: 1 day (the
    /// memory adapter caps it at its maximum TTL anyway).</param>
    /// <param name="timeProvider">The clock for expirations; <see cref="TimeProvider.System"/> when null.</param>
    public CacheAdapterDistributedCache(ICacheAdapter cache, TimeSpan? defaultTtl = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(cache);
        if (defaultTtl is { } ttl)
        {
            CacheArgument.ThrowIfNotPositive(ttl, nameof(defaultTtl));
        }

        _cache = cache;
        _defaultTtl = defaultTtl ?? TimeSpan.FromDays(1);
        _timeProvider = timeProvider ?? TimeProvider.System;
    }

    /// <inheritdoc/>
    /// <exception cref="NotSupportedException">Always; use <see cref="GetAsync"/>.</exception>
    public byte[]? Get(string key) => throw new NotSupportedException(SyncNotSupported);

    /// <inheritdoc/>
    /// <remarks>An entry with a sliding window has its TTL renewed (if unchanged since read) before the value is returned.</remarks>
    public Task<byte[]?> GetAsync(string key, CancellationToken token = default) => ReadAsync(key, returnValue: true, token);

    /// <inheritdoc/>
    /// <exception cref="NotSupportedException">Always; use <see cref="SetAsync"/>.</exception>
    public void Set(string key, byte[] value, DistributedCacheEntryOptions options) => throw new NotSupportedException(SyncNotSupported);

    /// <inheritdoc/>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="DistributedCacheEntryOptions.AbsoluteExpiration"/> is
    /// not in the future (nothing is written).</exception>
    /// <exception cref="NotSupportedException"><see cref="DistributedCacheEntryOptions.SlidingExpiration"/> is set and
    /// the adapter is not an <see cref="ICacheRenewal"/> (nothing is written).</exception>
    public Task SetAsync(string key, byte[] value, DistributedCacheEntryOptions options, CancellationToken token = default)
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

        // As Microsoft's own caches: a relative expiration wins over an absolute one; an absolute one must be ahead.
        DateTimeOffset? absolute = options.AbsoluteExpirationRelativeToNow is { } relative ? now + relative : options.AbsoluteExpiration;
        if (options.AbsoluteExpirationRelativeToNow is null && absolute <= now)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.AbsoluteExpiration, "The absolute expiration must be in the future.");
        }

        var entry = new DistributedEntry(absolute, options.SlidingExpiration);
        return _cache.SetAsync(key, entry.Write(value), entry.TtlAt(now, _defaultTtl), token).AsTask();
    }

    /// <inheritdoc/>
    /// <exception cref="NotSupportedException">Always; use <see cref="RefreshAsync"/>.</exception>
    public void Refresh(string key) => throw new NotSupportedException(SyncNotSupported);

    /// <inheritdoc/>
    /// <remarks>Renews the TTL of an entry with a sliding window if it is unchanged since read; other entries are left alone.</remarks>
    public Task RefreshAsync(string key, CancellationToken token = default) => ReadAsync(key, returnValue: false, token);

    /// <inheritdoc/>
    /// <exception cref="NotSupportedException">Always; use <see cref="RemoveAsync"/>.</exception>
    public void Remove(string key) => throw new NotSupportedException(SyncNotSupported);

    /// <inheritdoc/>
    public Task RemoveAsync(string key, CancellationToken token = default)
    {
        CacheArgument.ThrowIfInvalidKey(key);
        return _cache.DeleteAsync([key], token).AsTask();
    }

    // The stored entry's value (null when missing, unreadable or past its absolute expiry); a sliding entry has its TTL
    // renewed first, from now and capped by its absolute expiry, only if it still holds the bytes read (a remove or a
    // write since the read stands; the value read is still returned, as for a read just before them).
    private async Task<byte[]?> ReadAsync(string key, bool returnValue, CancellationToken token)
    {
        CacheArgument.ThrowIfInvalidKey(key);
        var stored = await _cache.GetAsync(key, token).ConfigureAwait(false);
        if (stored is null || !DistributedEntry.TryRead(stored, out var entry))
        {
            return null;
        }

        var ttl = entry.TtlAt(_timeProvider.GetUtcNow(), _defaultTtl);
        if (ttl <= TimeSpan.Zero)
        {
            return null;
        }

        if (entry.Sliding is not null && _cache is ICacheRenewal renewal)
        {
            await renewal.RenewIfUnchangedAsync(key, stored, ttl, token).ConfigureAwait(false);
        }

        return returnValue ? stored.AsSpan(DistributedEntry.HeaderLength).ToArray() : null;
    }
}
