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
/// both are set the entry lives until the earlier of the two. An entry with neither lives indefinitely, as with
/// Microsoft's caches (stored with a TTL of <see cref="TimeSpan.MaxValue"/>; a memory level caps it at its maximum TTL),
/// unless a default TTL is given to the constructor. Sub-second expirations are kept to the millisecond (Microsoft's
/// Redis cache rounds them to whole seconds). Every entry is stored with a 20-byte header that records them (see the
/// docs' <c>distributed-cache.md</c>): sliding expiration needs its window stored with the value, because
/// <see cref="ICacheAdapter"/> only knows a TTL.</para>
/// <para><b>Arguments</b> are checked as Microsoft's caches check them, with the same parameter names (an absolute
/// expiration not in the future: <see cref="ArgumentOutOfRangeException"/> for <c>AbsoluteExpiration</c>); the async
/// members report every failure, argument errors included, through the task they return.</para>
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
/// <see cref="Remove"/>, and so <c>GetString</c>/<c>SetString</c>) run on the adapter's synchronous path
/// (<see cref="ICacheSyncStorage"/>: <see cref="MemoryCache"/> directly, <c>RedisCache</c> through StackExchange.Redis's
/// synchronous commands, <see cref="HybridCache"/> over two such levels, <see cref="DistributedCacheAdapter"/> through
/// the wrapped cache's own, as synchronous as that cache makes them), never by this library blocking a thread on async
/// I/O. Over an adapter without one they throw
/// <see cref="NotSupportedException"/> naming the adapter and the async member to use.</para>
/// <para>This cache does not own the adapter: disposing the adapter is the caller's business.</para>
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
    /// <remarks>An entry with a sliding window has its TTL renewed (if unchanged since read) before the value is returned.</remarks>
    /// <exception cref="NotSupportedException">The adapter has no synchronous path (<see cref="ICacheSyncStorage"/>).</exception>
    public byte[]? Get(string key) => Read(key, nameof(Get), nameof(GetAsync));

    /// <inheritdoc/>
    /// <remarks>An entry with a sliding window has its TTL renewed (if unchanged since read) before the value is returned.</remarks>
    public Task<byte[]?> GetAsync(string key, CancellationToken token = default) => ReadAsync(key, token);

    /// <inheritdoc/>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="DistributedCacheEntryOptions.AbsoluteExpiration"/> is
    /// not in the future (nothing is written).</exception>
    /// <exception cref="NotSupportedException"><see cref="DistributedCacheEntryOptions.SlidingExpiration"/> is set and
    /// the adapter is not an <see cref="ICacheRenewal"/>, or the adapter has no synchronous path (nothing is written).</exception>
    public void Set(string key, byte[] value, DistributedCacheEntryOptions options)
    {
        var (stored, ttl) = Prepare(key, value, options);
        Sync(nameof(Set), nameof(SetAsync)).Set(key, stored, ttl);
    }

    /// <inheritdoc/>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="DistributedCacheEntryOptions.AbsoluteExpiration"/> is
    /// not in the future (nothing is written); reported by the task.</exception>
    /// <exception cref="NotSupportedException"><see cref="DistributedCacheEntryOptions.SlidingExpiration"/> is set and
    /// the adapter is not an <see cref="ICacheRenewal"/> (nothing is written); reported by the task.</exception>
    public async Task SetAsync(string key, byte[] value, DistributedCacheEntryOptions options, CancellationToken token = default)
    {
        var (stored, ttl) = Prepare(key, value, options);
        await _cache.SetAsync(key, stored, ttl, token).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    /// <remarks>Renews the TTL of an entry with a sliding window if it is unchanged since read; other entries are left alone.</remarks>
    /// <exception cref="NotSupportedException">The adapter has no synchronous path (<see cref="ICacheSyncStorage"/>).</exception>
    public void Refresh(string key) => Read(key, nameof(Refresh), nameof(RefreshAsync));

    /// <inheritdoc/>
    /// <remarks>Renews the TTL of an entry with a sliding window if it is unchanged since read; other entries are left alone.</remarks>
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

    // The stored entry's value (null when missing, unreadable or past its absolute expiry); a sliding entry has its TTL
    // renewed first, from now and capped by its absolute expiry, only if it still holds the bytes read (a remove or a
    // write since the read stands; the value read is still returned, as for a read just before them).
    private async Task<byte[]?> ReadAsync(string key, CancellationToken token)
    {
        CacheArgument.ThrowIfInvalidKey(key);
        var stored = await _cache.GetAsync(key, token).ConfigureAwait(false);
        var value = Unwrap(stored, out var ttl, out var slides);
        if (slides && _cache is ICacheRenewal renewal)
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
        var value = Unwrap(stored, out var ttl, out var slides);
        if (slides)
        {
            sync.RenewIfUnchanged(key, stored!, ttl);
        }

        return value;
    }

    // The value stored in an entry read back; null when missing, unreadable or past its absolute expiry. slides: the entry
    // has a sliding window, to renew to ttl.
    private byte[]? Unwrap(byte[]? stored, out TimeSpan ttl, out bool slides)
    {
        ttl = TimeSpan.Zero;
        slides = false;
        if (stored is null || !DistributedEntry.TryRead(stored, out var entry))
        {
            return null;
        }

        ttl = entry.TtlAt(_timeProvider.GetUtcNow(), _defaultTtl);
        if (ttl <= TimeSpan.Zero)
        {
            return null;
        }

        slides = entry.Sliding is not null;
        return stored.AsSpan(DistributedEntry.HeaderLength).ToArray();
    }

    private ICacheSyncStorage Sync(string member, string asyncMember) => _sync ?? throw new NotSupportedException(
        $"CacheAdapterDistributedCache.{member} needs an adapter with a synchronous path (ICacheSyncStorage), and {_cache.GetType().Name} has none: "
        + $"this library does not block a thread on async I/O. Use {asyncMember}, or an adapter that runs synchronously (MemoryCache, RedisCache, "
        + "a HybridCache over them, DistributedCacheAdapter).");
}
