using System.Text.Json;
using HybridCaching.Http;
using HybridCaching.Serialization;
using MessagePack;

namespace HybridCaching;

/// <summary>
/// An upper bound on the heap a value decoded from stored bytes occupies, read from the encoded structure, for
/// <see cref="ReusedValue{T}"/>'s charge against the memory level's byte bound: decoding makes at most one object per
/// encoded element (a MessagePack value, array or map; a JSON value, array, object or property name), so each
/// element is charged a small object plus the reference to it, and each encoded byte two bytes (a UTF-8 byte becomes
/// at most one UTF-16 character).
/// </summary>
/// <remarks>No bound is known for what a custom <see cref="ICacheSerializer"/> decodes, nor for MessagePack with
/// compression (LZ4 expands up to 255 times): such values are not kept for reuse. Objects a type's constructor or a
/// custom formatter allocates beyond what it reads are not seen.</remarks>
internal static class DecodedSize
{
    /// <summary>What each element is charged: the smallest object on a 64-bit runtime (24 bytes) plus the 8-byte
    /// reference that holds it (a list's slot, a field). Measured on the worst shape, one 1-byte element per object: a
    /// list of 200,000 empty objects (6.4 MB decoded) is charged 6.8 MB (see <c>ValueReuseMemoryTests</c>).</summary>
    public const long PerElement = 32;

    /// <summary>The bound for the value <paramref name="identity"/> (a serializer or the HTTP response format) decodes
    /// from the envelope <paramref name="stored"/>; <see langword="null"/> when none is known.</summary>
    public static long? Estimate(object identity, byte[] stored)
    {
        if (identity is CachedHttpResponseFormat)
        {
            // The decoded response: the envelope's headers (and its body, a slice of the stored bytes).
            return Bound(stored.Length, MessagePackElements(stored));
        }

        if (identity is not (MessagePackCacheSerializer or SystemTextJsonCacheSerializer) || !CachePayload.TryRead(stored, out var payload))
        {
            return null;
        }

        return identity is MessagePackCacheSerializer messagePack
            ? messagePack.Options.Compression == MessagePackCompression.None ? Bound(payload.Value.Length, MessagePackElements(payload.ValueMemory)) : null
            : Bound(payload.Value.Length, JsonElements(payload.Value));
    }

    private static long? Bound(int encodedLength, long? elements)
        => elements is { } count ? (2L * encodedLength) + (PerElement * count) : null;

    private static long? MessagePackElements(ReadOnlyMemory<byte> encoded)
    {
        var reader = new MessagePackReader(encoded);
        long elements = 0;
        try
        {
            // Every element in order, containers' contents included: a header is read, a scalar skipped.
            while (!reader.End)
            {
                elements++;
                switch (reader.NextMessagePackType)
                {
                    case MessagePackType.Array:
                        reader.ReadArrayHeader();
                        break;
                    case MessagePackType.Map:
                        reader.ReadMapHeader();
                        break;
                    default:
                        reader.Skip();
                        break;
                }
            }
        }
        catch (Exception ex) when (ex is MessagePackSerializationException or EndOfStreamException or OverflowException or ArgumentOutOfRangeException)
        {
            return null;
        }

        return elements;
    }

    private static long? JsonElements(ReadOnlySpan<byte> encoded)
    {
        var reader = new Utf8JsonReader(encoded, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        long elements = 0;
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType is not (JsonTokenType.EndObject or JsonTokenType.EndArray))
                {
                    elements++;
                }
            }
        }
        catch (JsonException)
        {
            return null;
        }

        return elements;
    }
}
