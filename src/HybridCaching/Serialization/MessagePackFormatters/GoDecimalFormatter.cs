using MessagePack;
using MessagePack.Formatters;

namespace HybridCaching.Serialization.MessagePackFormatters;

/// <summary>
/// <see cref="decimal"/> as an invariant-culture string with its scale kept (<c>12.50m</c> → <c>"12.50"</c>), as
/// MessagePack-CSharp writes it and Go decimal libraries (<c>shopspring/decimal</c>) read it. Reading also accepts an
/// integer or a finite float in range (what a Go program writes for a number).
/// </summary>
internal sealed class GoDecimalFormatter : IMessagePackFormatter<decimal>
{
    /// <summary>Gets the formatter (it has no state).</summary>
    public static GoDecimalFormatter Instance { get; } = new();

    /// <inheritdoc/>
    public void Serialize(ref MessagePackWriter writer, decimal value, MessagePackSerializerOptions options) =>
        DecimalFormatter.Instance.Serialize(ref writer, value, options);

    /// <inheritdoc/>
    public decimal Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options) => reader.NextMessagePackType switch
    {
        MessagePackType.Integer when reader.NextCode == MessagePackCode.UInt64 => reader.ReadUInt64(),
        MessagePackType.Integer => reader.ReadInt64(),
        MessagePackType.Float => FromDouble(reader.ReadDouble()),
        _ => DecimalFormatter.Instance.Deserialize(ref reader, options),
    };

    private static decimal FromDouble(double value) =>
        double.IsFinite(value) && Math.Abs(value) < 7.9e28 ? (decimal)value : throw new MessagePackSerializationException($"{value} does not fit a decimal.");
}
