using System.Buffers;
using MessagePack;
using MessagePack.Formatters;

namespace HybridCaching.Serialization.MessagePackFormatters;

/// <summary>
/// <see cref="Guid"/> as Go's <c>uuid.UUID</c> (a <c>[16]byte</c>): bin of 16 bytes in RFC 4122 (big-endian) order.
/// Reading also accepts a string in the D, N, B or P form (what MessagePack-CSharp's own formatter writes).
/// </summary>
internal sealed class GoUuidFormatter : IMessagePackFormatter<Guid>
{
    private const int Size = 16;

    /// <summary>Gets the formatter (it has no state).</summary>
    public static GoUuidFormatter Instance { get; } = new();

    /// <inheritdoc/>
    public void Serialize(ref MessagePackWriter writer, Guid value, MessagePackSerializerOptions options)
    {
        Span<byte> bin = writer.GetSpan(2 + Size);
        bin[0] = MessagePackCode.Bin8;
        bin[1] = Size;
        value.TryWriteBytes(bin.Slice(2), bigEndian: true, out _);
        writer.Advance(2 + Size);
    }

    /// <inheritdoc/>
    public Guid Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        if (reader.NextMessagePackType == MessagePackType.String)
        {
            return Guid.TryParse(reader.ReadString(), out Guid parsed) ? parsed : throw new MessagePackSerializationException("The string is not a GUID.");
        }

        ReadOnlySequence<byte> bytes = reader.ReadBytes() ?? throw new MessagePackSerializationException("A GUID cannot be nil.");
        if (bytes.Length != Size)
        {
            throw new MessagePackSerializationException($"A GUID is {Size} bytes, not {bytes.Length}.");
        }

        Span<byte> span = stackalloc byte[Size];
        bytes.CopyTo(span);
        return new Guid(span, bigEndian: true);
    }
}
