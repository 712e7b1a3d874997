using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using MessagePack;
using MessagePack.Formatters;

namespace HybridCaching.Serialization.MessagePackFormatters;

/// <summary>
/// <see cref="object"/>: written by its run-time type (through the options' resolver); read into a fixed set of types,
/// the way Go decodes into <c>interface{}</c>: nil → <see langword="null"/>, bool, any integer → <see cref="long"/>
/// (<see cref="ulong"/> above <see cref="long.MaxValue"/>), float32 → <see cref="float"/>, float64 → <see cref="double"/>,
/// str → <see cref="string"/>, bin → <c>byte[]</c>, timestamp → UTC <see cref="DateTime"/>, array → <c>object?[]</c>,
/// map → <c>Dictionary&lt;object, object?&gt;</c> (hashed with the options' <see cref="MessagePackSecurity"/>).
/// </summary>
/// <remarks>No type is ever named by the data. Other extensions, nil map keys and repeated map keys are rejected.</remarks>
internal sealed class GoObjectFormatter : IMessagePackFormatter<object?>
{
    /// <summary>Gets the formatter (it has no state).</summary>
    public static GoObjectFormatter Instance { get; } = new();

    /// <inheritdoc/>
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "Writing by run-time type is reflection-based; the serializer entry points that use it carry the requirement.")]
    [UnconditionalSuppressMessage("AOT", "IL3050", Justification = "As above.")]
    public void Serialize(ref MessagePackWriter writer, object? value, MessagePackSerializerOptions options) =>
        DynamicObjectTypeFallbackFormatter.Instance.Serialize(ref writer, value, options);

    /// <inheritdoc/>
    public object? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        if (reader.TryReadNil())
        {
            return null;
        }

        return reader.NextMessagePackType switch
        {
            MessagePackType.Boolean => reader.ReadBoolean(),
            MessagePackType.Integer when reader.NextCode == MessagePackCode.UInt64 => FromUInt64(reader.ReadUInt64()),
            MessagePackType.Integer => reader.ReadInt64(),
            MessagePackType.Float when reader.NextCode == MessagePackCode.Float32 => reader.ReadSingle(),
            MessagePackType.Float => reader.ReadDouble(),
            MessagePackType.String => reader.ReadString(),
            MessagePackType.Binary => reader.ReadBytes()?.ToArray(),
            MessagePackType.Extension => GoTimeFormatter.ReadUtc(ref reader),
            MessagePackType.Array => ReadArray(ref reader, options),
            MessagePackType.Map => ReadMap(ref reader, options),
            _ => throw new MessagePackSerializationException($"Unexpected code 0x{reader.NextCode:x2}."),
        };
    }

    private static object FromUInt64(ulong value) => value <= long.MaxValue ? (long)value : value;

    private object?[] ReadArray(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        int count = reader.ReadArrayHeader();
        if (count == 0)
        {
            return [];
        }

        var array = new object?[count];
        options.Security.DepthStep(ref reader);
        try
        {
            for (int i = 0; i < count; i++)
            {
                array[i] = Deserialize(ref reader, options);
            }
        }
        finally
        {
            reader.Depth--;
        }

        return array;
    }

    private Dictionary<object, object?> ReadMap(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        int count = reader.ReadMapHeader();
        var map = new Dictionary<object, object?>(count, options.Security.GetEqualityComparer<object>());
        options.Security.DepthStep(ref reader);
        try
        {
            for (int i = 0; i < count; i++)
            {
                object key = Deserialize(ref reader, options) ?? throw new MessagePackSerializationException("A map key cannot be nil.");
                if (!map.TryAdd(key, Deserialize(ref reader, options)))
                {
                    throw new MessagePackSerializationException($"The map repeats the key {key}.");
                }
            }
        }
        finally
        {
            reader.Depth--;
        }

        return map;
    }
}
