using System.Buffers;
using System.Buffers.Binary;
using MessagePack;
using MessagePack.Formatters;

namespace HybridCaching.Serialization.MessagePackFormatters;

/// <summary>
/// <see cref="DateTimeOffset"/> as Go's <c>time.Time</c>: the timestamp extension (−1) of the instant, in its smallest
/// form; the offset is not stored and values are read back in UTC. Go's zero time (0001-01-01) reads as <c>default</c>.
/// </summary>
public sealed class GoTimeFormatter : IMessagePackFormatter<DateTimeOffset>
{
    private GoTimeFormatter()
    {
    }

    /// <summary>Gets the formatter (it has no state).</summary>
    public static GoTimeFormatter Instance { get; } = new();

    /// <inheritdoc/>
    public void Serialize(ref MessagePackWriter writer, DateTimeOffset value, MessagePackSerializerOptions options) =>
        writer.Write(value.UtcDateTime);

    /// <inheritdoc/>
    public DateTimeOffset Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options) =>
        new(ReadUtc(ref reader), TimeSpan.Zero);

    /// <summary>Reads a timestamp as a UTC <see cref="DateTime"/>, checking what MessagePack-CSharp's reader leaves unchecked.</summary>
    /// <exception cref="MessagePackSerializationException">Not a timestamp, nanoseconds above 999,999,999, or outside the years 1–9999.</exception>
    internal static DateTime ReadUtc(ref MessagePackReader reader)
    {
        if (reader.NextMessagePackType != MessagePackType.Extension)
        {
            throw new MessagePackSerializationException($"Expected a timestamp, found {reader.NextMessagePackType}.");
        }

        ExtensionHeader header = reader.ReadExtensionFormatHeader();
        if (header.TypeCode != ReservedMessagePackExtensionTypeCode.DateTime || header.Length is not (4 or 8 or 12))
        {
            throw new MessagePackSerializationException($"Extension {header.TypeCode} of {header.Length} bytes is not a timestamp.");
        }

        ReadOnlySequence<byte> raw = reader.ReadRaw(header.Length);
        if (raw.IsSingleSegment)
        {
            return Decode(raw.FirstSpan);
        }

        Span<byte> copy = stackalloc byte[12];
        raw.CopyTo(copy);
        return Decode(copy[..(int)header.Length]);
    }

    /// <summary>Decodes the 32-, 64- or 96-bit timestamp body (seconds and nanoseconds since the Unix epoch).</summary>
    private static DateTime Decode(ReadOnlySpan<byte> raw)
    {
        long seconds;
        uint nanoseconds;
        switch (raw.Length)
        {
            case 4:
                seconds = BinaryPrimitives.ReadUInt32BigEndian(raw);
                nanoseconds = 0;
                break;
            case 8:
                ulong data = BinaryPrimitives.ReadUInt64BigEndian(raw);
                nanoseconds = (uint)(data >> 34);
                seconds = (long)(data & 0x3_ffff_ffffUL);
                break;
            default:
                nanoseconds = BinaryPrimitives.ReadUInt32BigEndian(raw);
                seconds = BinaryPrimitives.ReadInt64BigEndian(raw[4..]);
                break;
        }

        if (nanoseconds > 999_999_999)
        {
            throw new MessagePackSerializationException("The timestamp's nanoseconds exceed 999,999,999.");
        }

        if (seconds < MinSeconds || seconds > MaxSeconds)
        {
            throw new MessagePackSerializationException("The timestamp is outside the years 1-9999.");
        }

        // Precision is .NET's 100 ns tick: finer nanoseconds are truncated.
        return new DateTime(DateTime.UnixEpoch.Ticks + (seconds * TimeSpan.TicksPerSecond) + (nanoseconds / 100), DateTimeKind.Utc);
    }

    private static long MinSeconds => (DateTime.MinValue.Ticks - DateTime.UnixEpoch.Ticks) / TimeSpan.TicksPerSecond;

    private static long MaxSeconds => (DateTime.MaxValue.Ticks - DateTime.UnixEpoch.Ticks) / TimeSpan.TicksPerSecond;
}
