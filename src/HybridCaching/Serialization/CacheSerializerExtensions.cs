using System.Buffers;

namespace HybridCaching.Serialization;

/// <summary>Convenience overloads for <see cref="ICacheSerializer"/>.</summary>
public static class CacheSerializerExtensions
{
    /// <summary>Serializes <paramref name="value"/> into a new array.</summary>
    /// <typeparam name="T">The declared type of the value.</typeparam>
    /// <param name="serializer">The serializer.</param>
    /// <param name="value">The value; may be null.</param>
    /// <returns>The serialized bytes.</returns>
    public static byte[] Serialize<T>(this ICacheSerializer serializer, T value)
    {
        ArgumentNullException.ThrowIfNull(serializer);
        var buffer = new ArrayBufferWriter<byte>(256);
        serializer.Serialize(value, buffer);
        return buffer.WrittenSpan.ToArray();
    }
}
