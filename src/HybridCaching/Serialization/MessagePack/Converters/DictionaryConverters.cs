namespace HybridCaching.Serialization.MessagePack.Converters;

/// <summary>Shared pieces of the dictionary converters.</summary>
internal static class DictionaryHelpers
{
    public static void WriteEntries<TKey, TValue>(ref MessagePackWriter writer, int count, IEnumerable<KeyValuePair<TKey, TValue>> entries, MessagePackConverter<TKey> key, MessagePackConverter<TValue> value)
    {
        writer.WriteMapHeader(count);
        int written = 0;
        foreach (KeyValuePair<TKey, TValue> entry in entries)
        {
            if (++written > count)
            {
                break;
            }

            key.Write(ref writer, entry.Key);
            value.Write(ref writer, entry.Value);
        }

        if (written != count)
        {
            CollectionHelpers.ThrowChanged();
        }
    }

    public static void WriteAny<TKey, TValue>(ref MessagePackWriter writer, IEnumerable<KeyValuePair<TKey, TValue>> entries, MessagePackConverter<TKey> key, MessagePackConverter<TValue> value)
        where TKey : notnull
    {
        switch (entries)
        {
            case Dictionary<TKey, TValue> dictionary:
                DictionaryConverter<TKey, TValue>.WriteDictionary(ref writer, dictionary, key, value);
                break;
            case ICollection<KeyValuePair<TKey, TValue>> collection:
                WriteEntries(ref writer, collection.Count, collection, key, value);
                break;
            case IReadOnlyCollection<KeyValuePair<TKey, TValue>> collection:
                WriteEntries(ref writer, collection.Count, collection, key, value);
                break;
            default:
                var copy = new List<KeyValuePair<TKey, TValue>>(entries);
                WriteEntries(ref writer, copy.Count, copy, key, value);
                break;
        }
    }

    /// <summary>Reads a key and rejects nil, which no dictionary can hold.</summary>
    public static TKey ReadKey<TKey>(ref MessagePackReader reader, MessagePackConverter<TKey> converter)
    {
        int start = reader.Position;
        TKey key = converter.Read(ref reader);
        if (key is null)
        {
            MessagePackReader.ThrowAt(start, "a map key is nil.");
        }

        return key;
    }
}

/// <summary><see cref="Dictionary{TKey, TValue}"/> as a map; a key repeated in the data keeps its last value.</summary>
internal sealed class DictionaryConverter<TKey, TValue> : MessagePackConverter<Dictionary<TKey, TValue>?>
    where TKey : notnull
{
    private readonly MessagePackConverter<TKey> _key;
    private readonly MessagePackConverter<TValue> _value;

    public DictionaryConverter(MessagePackConverter<TKey> key, MessagePackConverter<TValue> value)
    {
        _key = key;
        _value = value;
    }

    public static void WriteDictionary(ref MessagePackWriter writer, Dictionary<TKey, TValue> dictionary, MessagePackConverter<TKey> key, MessagePackConverter<TValue> value)
    {
        int count = dictionary.Count;
        writer.WriteMapHeader(count);
        int written = 0;
        foreach (KeyValuePair<TKey, TValue> entry in dictionary)
        {
            if (++written > count)
            {
                break;
            }

            key.Write(ref writer, entry.Key);
            value.Write(ref writer, entry.Value);
        }

        if (written != count)
        {
            CollectionHelpers.ThrowChanged();
        }
    }

    public static Dictionary<TKey, TValue> ReadDictionary(ref MessagePackReader reader, MessagePackConverter<TKey> key, MessagePackConverter<TValue> value)
    {
        reader.EnterContainer();
        int count = reader.ReadCollectionMapHeader();
        var dictionary = new Dictionary<TKey, TValue>(CollectionHelpers.InitialCapacity(count));
        for (int i = 0; i < count; i++)
        {
            TKey k = DictionaryHelpers.ReadKey(ref reader, key);
            dictionary[k] = value.Read(ref reader);
        }

        reader.ExitContainer();
        return dictionary;
    }

    public override void Write(ref MessagePackWriter writer, Dictionary<TKey, TValue>? value)
    {
        if (value is null)
        {
            writer.WriteNil();
            return;
        }

        writer.EnterContainer();
        WriteDictionary(ref writer, value, _key, _value);
        writer.ExitContainer();
    }

    public override Dictionary<TKey, TValue>? Read(ref MessagePackReader reader) =>
        reader.TryReadNil() ? null : ReadDictionary(ref reader, _key, _value);
}

/// <summary><see cref="IDictionary{TKey, TValue}"/> and <see cref="IReadOnlyDictionary{TKey, TValue}"/>: any implementation is written; a <see cref="Dictionary{TKey, TValue}"/> is read.</summary>
internal sealed class DictionaryInterfaceConverter<TDictionary, TKey, TValue> : MessagePackConverter<TDictionary?>
    where TDictionary : class, IEnumerable<KeyValuePair<TKey, TValue>>
    where TKey : notnull
{
    private readonly MessagePackConverter<TKey> _key;
    private readonly MessagePackConverter<TValue> _value;

    public DictionaryInterfaceConverter(MessagePackConverter<TKey> key, MessagePackConverter<TValue> value)
    {
        _key = key;
        _value = value;
    }

    public override void Write(ref MessagePackWriter writer, TDictionary? value)
    {
        if (value is null)
        {
            writer.WriteNil();
            return;
        }

        writer.EnterContainer();
        DictionaryHelpers.WriteAny(ref writer, value, _key, _value);
        writer.ExitContainer();
    }

    public override TDictionary? Read(ref MessagePackReader reader) =>
        reader.TryReadNil() ? null : (TDictionary)(object)DictionaryConverter<TKey, TValue>.ReadDictionary(ref reader, _key, _value);
}

/// <summary>Any other concrete <see cref="IDictionary{TKey, TValue}"/> with a public parameterless constructor (e.g. <c>SortedDictionary</c>).</summary>
internal sealed class GenericDictionaryConverter<TDictionary, TKey, TValue> : MessagePackConverter<TDictionary?>
    where TDictionary : class, IDictionary<TKey, TValue>, new()
    where TKey : notnull
{
    private readonly MessagePackConverter<TKey> _key;
    private readonly MessagePackConverter<TValue> _value;

    public GenericDictionaryConverter(MessagePackConverter<TKey> key, MessagePackConverter<TValue> value)
    {
        _key = key;
        _value = value;
    }

    public override void Write(ref MessagePackWriter writer, TDictionary? value)
    {
        if (value is null)
        {
            writer.WriteNil();
            return;
        }

        writer.EnterContainer();
        DictionaryHelpers.WriteEntries(ref writer, value.Count, value, _key, _value);
        writer.ExitContainer();
    }

    public override TDictionary? Read(ref MessagePackReader reader)
    {
        if (reader.TryReadNil())
        {
            return null;
        }

        reader.EnterContainer();
        int count = reader.ReadCollectionMapHeader();
        var dictionary = new TDictionary();
        for (int i = 0; i < count; i++)
        {
            TKey key = DictionaryHelpers.ReadKey(ref reader, _key);
            dictionary[key] = _value.Read(ref reader);
        }

        reader.ExitContainer();
        return dictionary;
    }
}
