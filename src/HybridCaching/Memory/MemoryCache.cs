using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Internal;
using RuntimeMemoryCache = Microsoft.Extensions.Caching.Memory.MemoryCache;

namespace HybridCaching;

/// <summary>
/// An in-process <see cref="ICacheAdapter"/> over <c>Microsoft.Extensions.Caching.Memory</c>, bounded by
/// item count, byte size and a maximum time to live.
/// </summary>
/// <remarks>
/// Both bounds hold at all times: every entry is charged its size in bytes (value plus key), but at
/// least <c>maxBytes / maxItems</c> (rounded up), against a byte budget of <c>maxBytes</c>. So the
/// charged total never exceeds <c>maxBytes</c> and the count never exceeds <c>maxItems</c>. The cost
/// of this single budget is that a mix of many tiny and some large entries reaches the byte bound a
/// little earlier than two independent counters would. When the budget is full, a new entry is
/// rejected and the runtime cache compacts in the background (least recently used first).
/// A value larger than <c>maxBytes</c> is never stored (and replaces nothing).
/// <para>An entry carrying a decoded value (<see cref="ILocalCacheEntries.KeepDecoded"/>) is also held in an index of
/// its own, which <see cref="ILocalCacheEntries.TryGetLocal"/> reads first: a reused hit costs a dictionary lookup and
/// a tick count, not the runtime cache's clock and statistics. Every write here updates the index under the same lock.
/// The index holds its entries weakly, so it never keeps alive one the runtime cache let go (capacity, expiry): a hit
/// reads the runtime entry once a second and drops one it no longer holds, and collected handles are swept.</para>
/// </remarks>
[DebuggerDisplay("Count = {Count}")]
public sealed class MemoryCache : ICacheAdapter, ICacheRenewal, ILocalCacheEntries, ICacheSyncStorage
{
    // What an entry in the index costs beyond the entry: the index's node and the weak handle.
    private const long IndexCharge = 160;

    // How many entries enter the index between two sweeps of its collected handles.
    private const int SweepEvery = 1024;

    private readonly RuntimeMemoryCache _cache;
    private readonly TimeProvider _timeProvider;
    private readonly long _maxBytes;
    private readonly long _minimumCharge;
    private readonly TimeSpan _maxTtl;
    private readonly object _writeGate = new();
    private readonly ConcurrentDictionary<string, WeakReference<IndexedEntry>> _decoded = new(StringComparer.Ordinal);
    private readonly bool _systemClock;
    private int _indexedSinceSweep; // under _writeGate
    private volatile bool _disposed;

    /// <summary>Creates a memory cache.</summary>
    /// <param name="maxItems">The most entries held at once; must be positive.</param>
    /// <param name="maxBytes">The most bytes (values plus keys) held at once; must be positive.</param>
    /// <param name="maxTtl">The longest time an entry lives, whatever TTL it is set with;
    /// zero or negative means uncapped.</param>
    /// <param name="timeProvider">The clock for expiry; <see cref="TimeProvider.System"/> when null.</param>
    public MemoryCache(long maxItems, long maxBytes, TimeSpan maxTtl, TimeProvider? timeProvider = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxItems);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBytes);
        _timeProvider = timeProvider ?? TimeProvider.System;
        _maxBytes = maxBytes;
        _minimumCharge = Math.Max(1, (maxBytes + maxItems - 1) / maxItems);
        _maxTtl = maxTtl > TimeSpan.Zero ? maxTtl : TimeSpan.MaxValue;
        _systemClock = ReferenceEquals(_timeProvider, TimeProvider.System);
        _cache = new RuntimeMemoryCache(new MemoryCacheOptions
        {
            SizeLimit = maxBytes,
            Clock = _systemClock ? null : new Clock(_timeProvider),
            CompactionPercentage = 0.1,
            TrackStatistics = true,
        });
    }

    /// <summary>The number of entries held (expired entries may be counted until they are next touched or scanned).</summary>
    public int Count => _cache.Count;

    /// <summary>The bytes charged against the byte bound: every entry's bytes (at least <c>maxBytes / maxItems</c>)
    /// plus the estimated size of the decoded values kept for reuse.</summary>
    public long ChargedBytes => _cache.GetCurrentStatistics()?.CurrentEstimatedSize ?? 0;

    /// <inheritdoc/>
    /// <remarks>Always <see langword="true"/>: every member is in-process.</remarks>
    public bool CanRunSynchronously => true;

    /// <inheritdoc/>
    public ValueTask<byte[]?> GetAsync(string key, CancellationToken cancellationToken = default) => new(Get(key));

    /// <inheritdoc/>
    public byte[]? Get(string key)
    {
        CacheArgument.ThrowIfInvalidKey(key);
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _cache.TryGetValue(key, out Entry? entry) ? entry!.Value : null;
    }

    /// <inheritdoc/>
    public ValueTask<CacheFetchResult> FetchAsync(string key, CancellationToken cancellationToken = default) => new(Fetch(key));

    /// <inheritdoc/>
    public CacheFetchResult Fetch(string key)
    {
        CacheArgument.ThrowIfInvalidKey(key);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var remaining = _cache.TryGetValue(key, out Entry? entry) ? entry!.ExpiresAt - _timeProvider.GetUtcNow() : TimeSpan.Zero;
        return remaining > TimeSpan.Zero ? new CacheFetchResult(entry!.Value, remaining) : CacheFetchResult.NotFound;
    }

    /// <inheritdoc/>
    public ValueTask SetAsync(string key, byte[] value, TimeSpan ttl, CancellationToken cancellationToken = default)
    {
        Set(key, value, ttl);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc/>
    public void Set(string key, byte[] value, TimeSpan ttl)
    {
        CacheArgument.ThrowIfInvalidWrite(key, value, ttl);
        ObjectDisposedException.ThrowIf(_disposed, this);

        var charge = BytesCharge(key, value);
        if (charge > _maxBytes)
        {
            // Too large to ever fit: the caller keeps its value, the cache keeps nothing stale for the key.
            lock (_writeGate)
            {
                Remove(key);
            }

            return;
        }

        var expiresAt = ExpiresAt(ttl);
        lock (_writeGate)
        {
            Insert(key, new Entry(value, expiresAt, charge));
        }
    }

    /// <inheritdoc/>
    /// <remarks>The entry keeps its charge and any decoded value kept with it; the TTL is capped at the maximum TTL.</remarks>
    public ValueTask<bool> RenewIfUnchangedAsync(string key, byte[] expected, TimeSpan ttl, CancellationToken cancellationToken = default)
        => new(RenewIfUnchanged(key, expected, ttl));

    /// <inheritdoc/>
    /// <remarks>The entry keeps its charge and any decoded value kept with it; the TTL is capped at the maximum TTL.</remarks>
    public bool RenewIfUnchanged(string key, byte[] expected, TimeSpan ttl)
    {
        CacheArgument.ThrowIfInvalidWrite(key, expected, ttl);
        ObjectDisposedException.ThrowIf(_disposed, this);
        lock (_writeGate)
        {
            if (!_cache.TryGetValue(key, out Entry? entry)
                || !(ReferenceEquals(entry!.Value, expected) || entry.Value.AsSpan().SequenceEqual(expected)))
            {
                return false;
            }

            Insert(key, NewEntry(entry.Value, ExpiresAt(ttl), entry.Charge, entry.Decoded));
        }

        return true;
    }

    /// <inheritdoc/>
    public ValueTask DeleteAsync(IEnumerable<string> keys, CancellationToken cancellationToken = default)
    {
        Delete(keys);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc/>
    public void Delete(IEnumerable<string> keys)
    {
        var list = CacheArgument.ThrowIfInvalidKeys(keys);
        ObjectDisposedException.ThrowIf(_disposed, this);
        lock (_writeGate)
        {
            foreach (var key in list)
            {
                Remove(key);
            }
        }
    }

    /// <inheritdoc/>
    public ValueTask ClearAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        lock (_writeGate)
        {
            _cache.Clear();
            _decoded.Clear();
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            _cache.Dispose();
            _decoded.Clear();
        }
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc/>
    bool ILocalCacheEntries.TryGetLocal(string key, [MaybeNullWhen(false)] out LocalCacheEntry entry)
    {
        CacheArgument.ThrowIfInvalidKey(key);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_decoded.TryGetValue(key, out var handle) && handle.TryGetTarget(out var kept) && IsServable(key, handle, kept))
        {
            entry = kept;
            return true;
        }

        entry = _cache.TryGetValue(key, out Entry? found) ? found : null;
        return entry is not null;
    }

    /// <inheritdoc/>
    /// <remarks>The decoded value is charged against the byte bound; one that would pass it (or is unbounded) is not kept.</remarks>
    void ILocalCacheEntries.KeepDecoded(string key, LocalCacheEntry entry, object decoded, long decodedBytes)
    {
        var indexCharge = _systemClock ? IndexCharge : 0;
        lock (_writeGate)
        {
            // Replaced meanwhile, or too large (or unbounded) to keep decoded: the bytes stay, each hit decodes. The charge
            // starts again from the bytes' own: a value kept in place of another is not charged on top of it.
            if (_disposed || !_cache.TryGetValue(key, out Entry? stored) || !ReferenceEquals(stored, entry))
            {
                return;
            }

            var bytesCharge = BytesCharge(key, stored!.Value);
            if (decodedBytes > _maxBytes - bytesCharge - indexCharge)
            {
                return;
            }

            Insert(key, NewEntry(stored.Value, stored.ExpiresAt, bytesCharge + Math.Max(0, decodedBytes) + indexCharge, decoded));
        }
    }

    // What an entry's bytes and key are charged, at least maxBytes / maxItems.
    private long BytesCharge(string key, byte[] value) => Math.Max(_minimumCharge, value.LongLength + (2L * key.Length));

    private DateTimeOffset ExpiresAt(TimeSpan ttl)
    {
        var now = _timeProvider.GetUtcNow().ToUniversalTime(); // a clock with an offset must not overflow the local time
        var lifetime = ttl < _maxTtl ? ttl : _maxTtl;
        return lifetime < DateTimeOffset.MaxValue - now ? now + lifetime : DateTimeOffset.MaxValue;
    }

    // An entry carrying a decoded value is one the index may hold (on the system clock): only it pays for the index's ticks.
    private Entry NewEntry(byte[] value, DateTimeOffset expiresAt, long charge, object? decoded)
        => decoded is not null && _systemClock ? new IndexedEntry(value, expiresAt, charge, decoded) : new Entry(value, expiresAt, charge, decoded);

    // Under _writeGate. An entry that can be indexed enters the index once the runtime cache holds it.
    private void Insert(string key, Entry value)
    {
        using (var entry = _cache.CreateEntry(key))
        {
            entry.Value = value;
            entry.Size = value.Charge;
            entry.AbsoluteExpiration = value.ExpiresAt;
        }

        if (value is IndexedEntry indexed && _cache.TryGetValue(key, out Entry? held) && ReferenceEquals(held, value))
        {
            indexed.IndexedUntil(Environment.TickCount64, value.ExpiresAt - _timeProvider.GetUtcNow());
            _decoded[key] = new WeakReference<IndexedEntry>(indexed);
            if (++_indexedSinceSweep >= SweepEvery)
            {
                SweepIndex();
            }
        }
        else
        {
            Unindex(key);
        }
    }

    // Under _writeGate.
    private void Remove(string key)
    {
        _cache.Remove(key);
        Unindex(key);
    }

    // Under _writeGate: a lock-free look first, so a write of a key never indexed (every miss's) takes no index lock.
    private void Unindex(string key)
    {
        if (_decoded.ContainsKey(key))
        {
            _decoded.TryRemove(key, out _);
        }
    }

    // Under _writeGate: drops the index's handles whose entries the runtime cache let go (capacity, expiry) and the GC
    // has collected since.
    private void SweepIndex()
    {
        _indexedSinceSweep = 0;
        foreach (var pair in _decoded)
        {
            if (!pair.Value.TryGetTarget(out _))
            {
                _decoded.TryRemove(pair);
            }
        }
    }

    // An indexed entry is served from the index while more than a second of its lifetime is left by the coarse tick
    // count; within that last second the runtime cache decides. Once a second, a hit also reads the runtime entry: so
    // compaction (least recently used first) sees the entry as used, and an entry the runtime cache no longer holds leaves
    // the index within a second whatever the clocks do.
    private bool IsServable(string key, WeakReference<IndexedEntry> handle, IndexedEntry kept)
    {
        var tick = Environment.TickCount64;
        if (tick >= kept.IndexedUntilTick)
        {
            return false;
        }

        if (tick - kept.TouchedTick >= 1000)
        {
            kept.TouchedTick = tick;
            if (!_cache.TryGetValue(key, out Entry? held) || !ReferenceEquals(held, kept))
            {
                // Gone from the runtime cache (compacted, or expired by a wall-clock jump) and not yet collected.
                _decoded.TryRemove(new KeyValuePair<string, WeakReference<IndexedEntry>>(key, handle));
                return false;
            }
        }

        return true;
    }

    // Kept small: a cold miss holds one per key. The expiry is held as UTC ticks (8 bytes, not a DateTimeOffset's 16).
    private class Entry(byte[] value, DateTimeOffset expiresAt, long charge, object? decoded = null) : LocalCacheEntry(value, decoded)
    {
        private readonly long _expiresAtTicks = expiresAt.UtcTicks;

        public DateTimeOffset ExpiresAt => new(_expiresAtTicks, TimeSpan.Zero);

        public long Charge { get; } = charge;
    }

    // An entry carrying a decoded value on the system clock: what the index needs to serve it.
    private sealed class IndexedEntry(byte[] value, DateTimeOffset expiresAt, long charge, object decoded) : Entry(value, expiresAt, charge, decoded)
    {
        /// <summary>The tick count until which the index may serve the entry (a second before it expires).</summary>
        public long IndexedUntilTick { get; private set; }

        /// <summary>When an index hit last touched the runtime entry.</summary>
        public long TouchedTick { get; set; }

        public void IndexedUntil(long tick, TimeSpan lifetime)
        {
            TouchedTick = tick;
            var left = lifetime.TotalMilliseconds - 1000;
            IndexedUntilTick = left <= 0 ? 0 : left >= long.MaxValue - tick ? long.MaxValue : tick + (long)left;
        }
    }

    private sealed class Clock(TimeProvider timeProvider) : ISystemClock
    {
        public DateTimeOffset UtcNow => timeProvider.GetUtcNow();
    }
}
