namespace HybridCaching;

/// <summary>An entry of an <see cref="ILocalCacheEntries"/> cache: the stored bytes, and the value a reader decoded from
/// them and asked the cache to keep (<see cref="ILocalCacheEntries.KeepDecoded"/>). Immutable: keeping a decoded value
/// stores a new entry.</summary>
/// <param name="value">The stored bytes.</param>
/// <param name="decoded">The value decoded from <paramref name="value"/>; null when none is kept.</param>
public class LocalCacheEntry(byte[] value, object? decoded)
{
    /// <summary>The stored bytes.</summary>
    public byte[] Value { get; } = value ?? throw new ArgumentNullException(nameof(value));

    /// <summary>The value decoded from <see cref="Value"/> that a reader kept here; null when none.</summary>
    public object? Decoded { get; } = decoded;
}
