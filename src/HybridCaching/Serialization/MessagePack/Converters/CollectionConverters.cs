using System.Runtime.InteropServices;

namespace HybridCaching.Serialization.MessagePack.Converters;

/// <summary>Shared pieces of the collection converters.</summary>
internal static class CollectionHelpers
{
    /// <summary>
    /// The most elements allocated up front from a count read in the data. Larger collections grow as their
    /// elements actually arrive, so a lying header cannot make the reader allocate ahead of the input.
    /// </summary>
    public const int PreallocationLimit = 1024;

    public static int InitialCapacity(int count) => Math.Min(count, PreallocationLimit);

    public static void WriteSpan<T>(ref MessagePackWriter writer, ReadOnlySpan<T> items, MessagePackConverter<T> converter)
    {
        writer.WriteArrayHeader(items.Length);
        foreach (T item in items)
        {
            converter.Write(ref writer, item);
        }
    }

    /// <summary>Writes any sequence: spans for arrays and lists, the count for collections, a copy for lazy sequences.</summary>
    public static void WriteEnumerable<T>(ref MessagePackWriter writer, IEnumerable<T> items, MessagePackConverter<T> converter)
    {
        switch (items)
        {
            case T[] array:
                WriteSpan(ref writer, array, converter);
                break;
            case List<T> list:
                WriteSpan(ref writer, CollectionsMarshal.AsSpan(list), converter);
                break;
            case ICollection<T> collection:
                WriteCounted(ref writer, collection.Count, collection, converter);
                break;
            case IReadOnlyCollection<T> collection:
                WriteCounted(ref writer, collection.Count, collection, converter);
                break;
            default:
                WriteSpan(ref writer, CollectionsMarshal.AsSpan(new List<T>(items)), converter);
                break;
        }
    }

    public static void WriteCounted<T>(ref MessagePackWriter writer, int count, IEnumerable<T> items, MessagePackConverter<T> converter)
    {
        writer.WriteArrayHeader(count);
        int written = 0;
        foreach (T item in items)
        {
            if (++written > count)
            {
                break;
            }

            converter.Write(ref writer, item);
        }

        if (written != count)
        {
            ThrowChanged();
        }
    }

    public static void ThrowChanged() => throw new InvalidOperationException("The collection changed while it was being written.");
}

/// <summary><c>T[]</c> as an array (<c>byte[]</c> has its own converter, bin).</summary>
internal sealed class ArrayConverter<T> : MessagePackConverter<T[]?>
{
    private readonly MessagePackConverter<T> _element;

    public ArrayConverter(MessagePackConverter<T> element) => _element = element;

    public override void Write(ref MessagePackWriter writer, T[]? value)
    {
        if (value is null)
        {
            writer.WriteNil();
            return;
        }

        writer.EnterContainer();
        CollectionHelpers.WriteSpan(ref writer, value, _element);
        writer.ExitContainer();
    }

    public override T[]? Read(ref MessagePackReader reader)
    {
        if (reader.TryReadNil())
        {
            return null;
        }

        reader.EnterContainer();
        int count = reader.ReadCollectionArrayHeader();
        T[] result;
        if (count <= CollectionHelpers.PreallocationLimit)
        {
            result = count == 0 ? [] : new T[count];
            for (int i = 0; i < result.Length; i++)
            {
                result[i] = _element.Read(ref reader);
            }
        }
        else
        {
            var list = new List<T>(CollectionHelpers.PreallocationLimit);
            for (int i = 0; i < count; i++)
            {
                list.Add(_element.Read(ref reader));
            }

            result = list.ToArray();
        }

        reader.ExitContainer();
        return result;
    }
}

/// <summary><see cref="List{T}"/> as an array.</summary>
internal sealed class ListConverter<T> : MessagePackConverter<List<T>?>
{
    private readonly MessagePackConverter<T> _element;

    public ListConverter(MessagePackConverter<T> element) => _element = element;

    public override void Write(ref MessagePackWriter writer, List<T>? value)
    {
        if (value is null)
        {
            writer.WriteNil();
            return;
        }

        writer.EnterContainer();
        CollectionHelpers.WriteSpan(ref writer, CollectionsMarshal.AsSpan(value), _element);
        writer.ExitContainer();
    }

    public override List<T>? Read(ref MessagePackReader reader) => reader.TryReadNil() ? null : ReadList(ref reader, _element);

    public static List<T> ReadList(ref MessagePackReader reader, MessagePackConverter<T> element)
    {
        reader.EnterContainer();
        int count = reader.ReadCollectionArrayHeader();
        var list = new List<T>(CollectionHelpers.InitialCapacity(count));
        for (int i = 0; i < count; i++)
        {
            list.Add(element.Read(ref reader));
        }

        reader.ExitContainer();
        return list;
    }
}

/// <summary>
/// <see cref="IEnumerable{T}"/>, <see cref="ICollection{T}"/>, <see cref="IList{T}"/>, <see cref="IReadOnlyCollection{T}"/>
/// and <see cref="IReadOnlyList{T}"/>: any implementation is written; a <see cref="List{T}"/> is read.
/// </summary>
internal sealed class ListInterfaceConverter<TCollection, T> : MessagePackConverter<TCollection?>
    where TCollection : class, IEnumerable<T>
{
    private readonly MessagePackConverter<T> _element;

    public ListInterfaceConverter(MessagePackConverter<T> element) => _element = element;

    public override void Write(ref MessagePackWriter writer, TCollection? value)
    {
        if (value is null)
        {
            writer.WriteNil();
            return;
        }

        writer.EnterContainer();
        CollectionHelpers.WriteEnumerable(ref writer, value, _element);
        writer.ExitContainer();
    }

    public override TCollection? Read(ref MessagePackReader reader) =>
        reader.TryReadNil() ? null : (TCollection)(object)ListConverter<T>.ReadList(ref reader, _element);
}

/// <summary><see cref="HashSet{T}"/> as an array; duplicates in the data collapse.</summary>
internal sealed class HashSetConverter<T> : MessagePackConverter<HashSet<T>?>
{
    private readonly MessagePackConverter<T> _element;

    public HashSetConverter(MessagePackConverter<T> element) => _element = element;

    public override void Write(ref MessagePackWriter writer, HashSet<T>? value)
    {
        if (value is null)
        {
            writer.WriteNil();
            return;
        }

        writer.EnterContainer();
        int count = value.Count;
        writer.WriteArrayHeader(count);
        int written = 0;
        foreach (T item in value)
        {
            if (++written > count)
            {
                break;
            }

            _element.Write(ref writer, item);
        }

        if (written != count)
        {
            CollectionHelpers.ThrowChanged();
        }

        writer.ExitContainer();
    }

    public override HashSet<T>? Read(ref MessagePackReader reader) => reader.TryReadNil() ? null : ReadSet(ref reader, _element);

    public static HashSet<T> ReadSet(ref MessagePackReader reader, MessagePackConverter<T> element)
    {
        reader.EnterContainer();
        int count = reader.ReadCollectionArrayHeader();
        var set = new HashSet<T>(CollectionHelpers.InitialCapacity(count));
        for (int i = 0; i < count; i++)
        {
            set.Add(element.Read(ref reader));
        }

        reader.ExitContainer();
        return set;
    }
}

/// <summary><see cref="ISet{T}"/> and <see cref="IReadOnlySet{T}"/>: any implementation is written; a <see cref="HashSet{T}"/> is read.</summary>
internal sealed class SetInterfaceConverter<TSet, T> : MessagePackConverter<TSet?>
    where TSet : class, IEnumerable<T>
{
    private readonly MessagePackConverter<T> _element;

    public SetInterfaceConverter(MessagePackConverter<T> element) => _element = element;

    public override void Write(ref MessagePackWriter writer, TSet? value)
    {
        if (value is null)
        {
            writer.WriteNil();
            return;
        }

        writer.EnterContainer();
        CollectionHelpers.WriteEnumerable(ref writer, value, _element);
        writer.ExitContainer();
    }

    public override TSet? Read(ref MessagePackReader reader) =>
        reader.TryReadNil() ? null : (TSet)(object)HashSetConverter<T>.ReadSet(ref reader, _element);
}

/// <summary>Any other concrete <see cref="ICollection{T}"/> with a public parameterless constructor (e.g. <c>SortedSet&lt;T&gt;</c>, <c>LinkedList&lt;T&gt;</c>).</summary>
internal sealed class GenericCollectionConverter<TCollection, T> : MessagePackConverter<TCollection?>
    where TCollection : class, ICollection<T>, new()
{
    private readonly MessagePackConverter<T> _element;

    public GenericCollectionConverter(MessagePackConverter<T> element) => _element = element;

    public override void Write(ref MessagePackWriter writer, TCollection? value)
    {
        if (value is null)
        {
            writer.WriteNil();
            return;
        }

        writer.EnterContainer();
        CollectionHelpers.WriteCounted(ref writer, value.Count, value, _element);
        writer.ExitContainer();
    }

    public override TCollection? Read(ref MessagePackReader reader)
    {
        if (reader.TryReadNil())
        {
            return null;
        }

        reader.EnterContainer();
        int count = reader.ReadCollectionArrayHeader();
        var collection = new TCollection();
        for (int i = 0; i < count; i++)
        {
            collection.Add(_element.Read(ref reader));
        }

        reader.ExitContainer();
        return collection;
    }
}
