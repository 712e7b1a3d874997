using MessagePack;
using MessagePack.Formatters;

namespace HybridCaching.Serialization.MessagePackFormatters;

/// <summary>
/// <see cref="DateTimeOffset"/> and <see cref="DateTime"/> as Go's <c>time.Time</c>: the timestamp extension (−1) of the
/// instant, in its smallest form (exactly what MessagePack-CSharp's own formatter writes). A <see cref="DateTimeOffset"/>'s
/// offset is not stored; a <c>Local</c> <see cref="DateTime"/> is converted to UTC, an <c>Unspecified</c> one is taken
/// to be UTC. Values are read back in UTC; Go's zero time (0001-01-01) reads as <c>default</c>.
/// </summary>
internal sealed class GoTimeFormatter : IMessagePackFormatter<DateTimeOffset>, IMessagePackFormatter<DateTime>
{
    /// <summary>Gets the formatter (it has no state).</summary>
    public static GoTimeFormatter Instance { get; } = new();

    /// <inheritdoc/>
    public void Serialize(ref MessagePackWriter writer, DateTimeOffset value, MessagePackSerializerOptions options) =>
        writer.Write(value.UtcDateTime);

    /// <inheritdoc/>
    public DateTimeOffset Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options) =>
        new(ReadUtc(ref reader), TimeSpan.Zero);

    /// <inheritdoc/>
    public void Serialize(ref MessagePackWriter writer, DateTime value, MessagePackSerializerOptions options) => writer.Write(value);

    /// <inheritdoc/>
    DateTime IMessagePackFormatter<DateTime>.Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options) => ReadUtc(ref reader);

    /// <summary>Reads a timestamp as a UTC <see cref="DateTime"/>, checking what MessagePack-CSharp's reader leaves unchecked.</summary>
    /// <exception cref="MessagePackSerializationException">Not a timestamp, or outside the years 1–9999.</exception>
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

        // MessagePack-CSharp decodes the three layouts in place (as UTC, to the 100 ns tick); nanoseconds beyond
        // 999,999,999 carry into the next second, as Go's time.Unix does.
        return reader.ReadDateTime(header);
    }
}
