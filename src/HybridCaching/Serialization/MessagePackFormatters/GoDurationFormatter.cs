using MessagePack;
using MessagePack.Formatters;

namespace HybridCaching.Serialization.MessagePackFormatters;

/// <summary>
/// <see cref="TimeSpan"/> as Go's <c>time.Duration</c>: an integer count of nanoseconds (smallest form).
/// <see cref="TimeSpan.MaxValue"/> and <see cref="TimeSpan.MinValue"/> map to Int64's extremes (Go's "forever") and back.
/// </summary>
internal sealed class GoDurationFormatter : IMessagePackFormatter<TimeSpan>
{
    private const long NanosecondsPerTick = 100;

    /// <summary>Gets the formatter (it has no state).</summary>
    public static GoDurationFormatter Instance { get; } = new();

    /// <inheritdoc/>
    /// <exception cref="OverflowException">The span is beyond Go's range (about ±292 years) and is neither <see cref="TimeSpan.MaxValue"/> nor <see cref="TimeSpan.MinValue"/>.</exception>
    public void Serialize(ref MessagePackWriter writer, TimeSpan value, MessagePackSerializerOptions options) => writer.Write(
        value == TimeSpan.MaxValue ? long.MaxValue : value == TimeSpan.MinValue ? long.MinValue : checked(value.Ticks * NanosecondsPerTick));

    /// <inheritdoc/>
    public TimeSpan Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options) => reader.ReadInt64() switch
    {
        long.MaxValue => TimeSpan.MaxValue,
        long.MinValue => TimeSpan.MinValue,
        var nanoseconds => TimeSpan.FromTicks(nanoseconds / NanosecondsPerTick),
    };
}
