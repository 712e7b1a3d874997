using System.Buffers;
using HybridCaching.Serialization;

namespace HybridCaching.Testing;

/// <summary>Array forms of the serializer contract for tests: no copy (a sequence over the array), so allocation tests
/// measure the serializer alone.</summary>
public static class SerializerTestExtensions
{
    /// <summary>Deserializes <paramref name="data"/> in place.</summary>
    public static T Deserialize<T>(this ICacheSerializer serializer, byte[] data) => serializer.Deserialize<T>(new ReadOnlySequence<byte>(data));

    /// <summary>Serializes <paramref name="value"/> into a new array.</summary>
    public static byte[] Serialize<T>(this ICacheSerializer serializer, T value)
    {
        var buffer = new ArrayBufferWriter<byte>();
        serializer.Serialize(value, buffer);
        return buffer.WrittenSpan.ToArray();
    }
}
