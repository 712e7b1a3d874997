using System.Buffers;

namespace HybridCaching.Serialization;

/// <summary>Turns values into bytes and back for <see cref="CacheFunc"/>.</summary>
/// <remarks>
/// Cached bytes may have been written by another version, another serializer or another program
/// sharing the cache; <see cref="Deserialize{T}"/> throws on data it cannot read and
/// <see cref="CacheFunc"/> treats that as a cache miss.
/// </remarks>
public interface ICacheSerializer
{
    /// <summary>Serializes <paramref name="value"/> into <paramref name="destination"/>.</summary>
    /// <typeparam name="T">The declared type of the value.</typeparam>
    /// <param name="value">The value; may be null.</param>
    /// <param name="destination">Where the bytes go.</param>
    void Serialize<T>(T value, IBufferWriter<byte> destination);

    /// <summary>Deserializes a value of type <typeparamref name="T"/>.</summary>
    /// <typeparam name="T">The type to read.</typeparam>
    /// <param name="data">The bytes, as written by <see cref="Serialize{T}(T, IBufferWriter{byte})"/>: a slice of the stored
    /// entry, read in place (it stays unchanged, but a formatter that keeps bytes should copy them, as MessagePack-CSharp
    /// asks of every formatter).</param>
    /// <returns>The value.</returns>
    /// <exception cref="Exception">The data is not a valid encoding of <typeparamref name="T"/>; the exact type depends on the serializer.</exception>
    T Deserialize<T>(ReadOnlySequence<byte> data);
}
