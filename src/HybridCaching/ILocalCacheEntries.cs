using System.Diagnostics.CodeAnalysis;

namespace HybridCaching;

/// <summary>
/// A cache whose entries live in this process and can keep a decoded value next to their bytes: a capability
/// <see cref="CacheFunc"/> detects once, when it is created. Over it, a hit can return the value an earlier hit decoded
/// (value reuse), and a tag's invalidation time is read here, synchronously, instead of from storage.
/// </summary>
/// <remarks>Implemented by <see cref="MemoryCache"/>, and by <see cref="HybridCache"/> through its downstream. An adapter
/// of your own can implement it: keep the entries immutable, and let <see cref="KeepDecoded"/> replace the key's entry
/// only while the key still holds <c>entry</c>, so a decoded value never outlives its bytes. Local entries are taken to
/// be the whole cache unless the cache is also an <see cref="ICacheLocalCopies"/>, whose shared level is read for what
/// they do not hold.</remarks>
public interface ILocalCacheEntries
{
    /// <summary>Looks up the entry stored under <paramref name="key"/>, as it is (no copy).</summary>
    /// <param name="key">The key; not null or empty.</param>
    /// <param name="entry">The entry; null when missing or expired.</param>
    /// <returns>Whether an entry is stored under <paramref name="key"/>.</returns>
    bool TryGetLocal(string key, [MaybeNullWhen(false)] out LocalCacheEntry entry);

    /// <summary>Keeps <paramref name="decoded"/> with the bytes of <paramref name="entry"/>, so that
    /// <see cref="TryGetLocal"/> returns an entry carrying it until the key's bytes are replaced, removed or expire. Does
    /// nothing when <paramref name="key"/> no longer holds <paramref name="entry"/>, or when the cache will not afford
    /// <paramref name="decodedBytes"/> more.</summary>
    /// <param name="key">The key <paramref name="entry"/> was found under.</param>
    /// <param name="entry">The entry <see cref="TryGetLocal"/> returned.</param>
    /// <param name="decoded">The value decoded from the entry's bytes.</param>
    /// <param name="decodedBytes">What keeping it costs, in bytes; <see cref="long.MaxValue"/> when unbounded.</param>
    void KeepDecoded(string key, LocalCacheEntry entry, object decoded, long decodedBytes);
}
