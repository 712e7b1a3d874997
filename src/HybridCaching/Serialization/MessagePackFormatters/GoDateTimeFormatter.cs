using MessagePack;
using MessagePack.Formatters;

namespace HybridCaching.Serialization.MessagePackFormatters;

/// <summary>
/// <see cref="DateTime"/> as Go's <c>time.Time</c>: the timestamp extension (−1) in its smallest form. <c>Local</c> values
/// are converted to UTC, <c>Unspecified</c> ones are taken to be UTC; values read back have <see cref="DateTimeKind.Utc"/>.
/// </summary>
/// <remarks>Writes exactly what MessagePack-CSharp's own formatter writes; reading also rejects nanoseconds above 999,999,999.</remarks>
internal sealed class GoDateTimeFormatter : IMessagePackFormatter<DateTime>
{
    private GoDateTimeFormatter()
    {
    }

    /// <summary>Gets the formatter (it has no state).</summary>
    public static GoDateTimeFormatter Instance { get; } = new();

    /// <inheritdoc/>
    public void Serialize(ref MessagePackWriter writer, DateTime value, MessagePackSerializerOptions options) => writer.Write(value);

    /// <inheritdoc/>
    public DateTime Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options) => GoTimeFormatter.ReadUtc(ref reader);
}
