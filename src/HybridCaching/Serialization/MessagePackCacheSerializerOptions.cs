namespace HybridCaching.Serialization;

/// <summary>Limits applied by <see cref="MessagePackCacheSerializer"/> to the data it reads (and the graphs it writes).</summary>
public sealed class MessagePackCacheSerializerOptions
{
    private int _maxDepth = MessagePack.MessagePackReader.DefaultMaxDepth;
    private int _maxCollectionLength = 1 << 20;

    /// <summary>Gets or sets how deeply arrays, maps and objects may nest.</summary>
    /// <value>64 by default; between 1 and 1000. Deeper data is rejected as malformed; a deeper (or cyclic) object graph cannot be written.</value>
    public int MaxDepth
    {
        get => _maxDepth;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, 1000);
            _maxDepth = value;
        }
    }

    /// <summary>Gets or sets the most elements (or entries) one array, list, set or dictionary may have when read.</summary>
    /// <value>1,048,576 by default; at least 1. Counts are also never allowed to exceed the bytes that remain in the input.</value>
    public int MaxCollectionLength
    {
        get => _maxCollectionLength;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            _maxCollectionLength = value;
        }
    }
}
