using MessagePack;
using MessagePack.Formatters;

namespace HybridCaching.Serialization.MessagePackFormatters;

/// <summary>
/// <see cref="DateTimeOffset"/> as Go's <c>time.Time</c>: the timestamp extension (−1) of the instant, in its smallest
/// form; the offset is not stored and values are read back in UTC. Go's zero time (0001-01-01) reads as <c>default</c>.
/// </summary>
internal sealed class GoTimeFormatter : IMessagePackFormatter<DateTimeOffset>
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

        // MessagePack-CSharp decodes the three layouts in place (as UTC, to the 100 ns tick); nanoseconds beyond
        // 999,999,999 carry into the next second, as Go's time.Unix does.
        return reader.ReadDateTime(header);
    }

    private static long MinSeconds => (DateTime.MinValue.Ticks - DateTime.UnixEpoch.Ticks) / TimeSpan.TicksPerSecond;

    private static long MaxSeconds => (DateTime.MaxValue.Ticks - DateTime.UnixEpoch.Ticks) / TimeSpan.TicksPerSecond;
}
