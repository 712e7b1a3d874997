namespace HybridCaching.Serialization.MessagePack.Converters;

/// <summary>
/// Values declared as <see cref="object"/>. Writing dispatches on the run-time type. Reading maps each family to a
/// fixed .NET type — nil → <see langword="null"/>, bool, integer → <see cref="long"/> (or <see cref="ulong"/> above
/// Int64.MaxValue), float32 → <see cref="float"/>, float64 → <see cref="double"/>, str → <see cref="string"/>,
/// bin → <c>byte[]</c>, array → <c>object?[]</c>, map → <c>Dictionary&lt;object, object?&gt;</c>, timestamp →
/// UTC <see cref="DateTime"/> — so the data never chooses a type to instantiate.
/// </summary>
internal sealed class DynamicObjectConverter : MessagePackConverter<object?>
{
    public override void Write(ref MessagePackWriter writer, object? value)
    {
        if (value is null)
        {
            writer.WriteNil();
            return;
        }

        Type type = value.GetType();
        if (type == typeof(object))
        {
            writer.WriteMapHeader(0);
            return;
        }

        ConverterFactory.Get(type).WriteObject(ref writer, value);
    }

    public override object? Read(ref MessagePackReader reader)
    {
        int start = reader.Position;
        switch (reader.PeekType())
        {
            case MessagePackType.Nil:
                reader.ReadNil();
                return null;
            case MessagePackType.Boolean:
                return reader.ReadBoolean();
            case MessagePackType.Integer:
                if (reader.PeekCode() == MessagePackCode.UInt64)
                {
                    ulong unsigned = reader.ReadUInt64();
                    return unsigned <= long.MaxValue ? (object)(long)unsigned : unsigned;
                }

                return reader.ReadInt64();
            case MessagePackType.Float:
                return reader.PeekCode() == MessagePackCode.Float32 ? (object)reader.ReadSingle() : reader.ReadDouble();
            case MessagePackType.String:
                return reader.ReadString();
            case MessagePackType.Binary:
                return reader.ReadBytesSpan().ToArray();
            case MessagePackType.Array:
                return ReadArray(ref reader);
            case MessagePackType.Map:
                return ReadMap(ref reader);
            default:
                MessagePackReader probe = reader;
                if (probe.ReadExtensionHeader().TypeCode == MessagePackCode.TimestampExtension)
                {
                    return new DateTime(reader.ReadTimestampTicks(), DateTimeKind.Utc);
                }

                MessagePackReader.ThrowAt(start, "extension types other than the timestamp cannot be read as object.");
                return null;
        }
    }

    private object?[] ReadArray(ref MessagePackReader reader)
    {
        reader.EnterContainer();
        int count = reader.ReadCollectionArrayHeader();
        var items = new List<object?>(CollectionHelpers.InitialCapacity(count));
        for (int i = 0; i < count; i++)
        {
            items.Add(Read(ref reader));
        }

        reader.ExitContainer();
        return items.ToArray();
    }

    private Dictionary<object, object?> ReadMap(ref MessagePackReader reader)
    {
        reader.EnterContainer();
        int count = reader.ReadCollectionMapHeader();
        var map = new Dictionary<object, object?>(CollectionHelpers.InitialCapacity(count));
        for (int i = 0; i < count; i++)
        {
            object key = DictionaryHelpers.ReadKey(ref reader, this)!;
            map[key] = Read(ref reader);
        }

        reader.ExitContainer();
        return map;
    }
}
