namespace HybridCaching.Serialization.MessagePack.Converters;

/// <summary>
/// <see cref="DateTime"/> as the timestamp extension (−1), Go's <c>time.Time</c>. <see cref="DateTimeKind.Local"/>
/// is converted to UTC; <see cref="DateTimeKind.Utc"/> and <see cref="DateTimeKind.Unspecified"/> are written as
/// UTC as they are. Values read back are <see cref="DateTimeKind.Utc"/>. Precision is .NET's 100 ns tick.
/// </summary>
internal sealed class DateTimeConverter : MessagePackConverter<DateTime>
{
    public override void Write(ref MessagePackWriter writer, DateTime value)
    {
        long ticks = value.Kind == DateTimeKind.Local ? value.ToUniversalTime().Ticks : value.Ticks;
        writer.WriteTimestampTicks(ticks);
    }

    public override DateTime Read(ref MessagePackReader reader) => new(reader.ReadTimestampTicks(), DateTimeKind.Utc);
}

/// <summary><see cref="DateTimeOffset"/> as the timestamp extension (−1): the instant is kept, the offset is not (it reads back as UTC).</summary>
internal sealed class DateTimeOffsetConverter : MessagePackConverter<DateTimeOffset>
{
    public override void Write(ref MessagePackWriter writer, DateTimeOffset value) => writer.WriteTimestampTicks(value.UtcTicks);

    public override DateTimeOffset Read(ref MessagePackReader reader) => new(reader.ReadTimestampTicks(), TimeSpan.Zero);
}

/// <summary>
/// <see cref="TimeSpan"/> as an integer count of nanoseconds, Go's <c>time.Duration</c>. <see cref="TimeSpan.MaxValue"/>
/// and <see cref="TimeSpan.MinValue"/> map to Int64's extremes (Go's "forever"); other spans beyond about ±292 years
/// cannot be written. Reading truncates to whole 100 ns ticks.
/// </summary>
internal sealed class TimeSpanConverter : MessagePackConverter<TimeSpan>
{
    private const long MaxTicks = long.MaxValue / 100;

    public override void Write(ref MessagePackWriter writer, TimeSpan value)
    {
        long ticks = value.Ticks;
        if (ticks == long.MaxValue)
        {
            writer.WriteInt64(long.MaxValue);
        }
        else if (ticks == long.MinValue)
        {
            writer.WriteInt64(long.MinValue);
        }
        else if (ticks > MaxTicks || ticks < -MaxTicks)
        {
            throw new OverflowException($"The TimeSpan {value} is beyond the ±292 years that Go's time.Duration (Int64 nanoseconds) can hold.");
        }
        else
        {
            writer.WriteInt64(ticks * 100);
        }
    }

    public override TimeSpan Read(ref MessagePackReader reader)
    {
        long nanoseconds = reader.ReadInt64();
        return nanoseconds switch
        {
            long.MaxValue => TimeSpan.MaxValue,
            long.MinValue => TimeSpan.MinValue,
            _ => new TimeSpan(nanoseconds / 100),
        };
    }
}
