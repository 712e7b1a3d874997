using System.Buffers;
using HybridCaching.Serialization.MessagePack;
using HybridCaching.Serialization.MessagePack.Converters;

namespace HybridCaching.Serialization;

/// <summary>
/// The default <see cref="ICacheSerializer"/>: compact MessagePack, compatible with Go's <c>vmihailenco/msgpack</c>
/// (objects are maps keyed by member name, integers take their smallest form, <see cref="DateTime"/> is the
/// timestamp extension), so .NET and Go services can share cached values.
/// </summary>
/// <remarks>
/// <para>
/// Supported: primitives, <see cref="string"/>, <c>byte[]</c>, enums (as integers), <see cref="Nullable{T}"/>,
/// <see cref="DateTime"/>, <see cref="DateTimeOffset"/>, <see cref="TimeSpan"/>, <see cref="Guid"/>, <see cref="decimal"/>,
/// arrays, lists, sets, dictionaries and their common interfaces, records and other classes and structs (public
/// properties and fields; constructor parameters bound by name). See <c>docs/serialization.md</c> for the exact mapping.
/// </para>
/// <para>
/// Cached bytes are untrusted input: <see cref="Deserialize{T}"/> enforces <see cref="MessagePackCacheSerializerOptions"/>,
/// never instantiates a type named by the data, and reports every problem with the data as
/// <see cref="MessagePackFormatException"/>.
/// </para>
/// </remarks>
public sealed class MessagePackCacheSerializer : ICacheSerializer
{
    private readonly int _maxDepth;
    private readonly int _maxCollectionLength;

    /// <summary>Creates a serializer.</summary>
    /// <param name="options">Limits; <see langword="null"/> for the defaults.</param>
    public MessagePackCacheSerializer(MessagePackCacheSerializerOptions? options = null)
    {
        options ??= new MessagePackCacheSerializerOptions();
        _maxDepth = options.MaxDepth;
        _maxCollectionLength = options.MaxCollectionLength;
    }

    /// <summary>Gets a shared instance with the default limits.</summary>
    public static MessagePackCacheSerializer Default { get; } = new();

    /// <inheritdoc/>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> (or a type it contains) cannot be mapped.</exception>
    /// <exception cref="InvalidOperationException">The object graph is deeper than <see cref="MessagePackCacheSerializerOptions.MaxDepth"/> (or cyclic).</exception>
    public void Serialize<T>(T value, IBufferWriter<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        MessagePackConverter<T> converter = ConverterCache<T>.Converter;
        var writer = new MessagePackWriter(destination, _maxDepth);
        converter.Write(ref writer, value);
        writer.Flush();
    }

    /// <summary>Serializes <paramref name="value"/> into a new, exactly sized array (through a pooled buffer).</summary>
    /// <typeparam name="T">The declared type of the value.</typeparam>
    /// <param name="value">The value; may be null.</param>
    /// <returns>The serialized bytes.</returns>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> (or a type it contains) cannot be mapped.</exception>
    /// <exception cref="InvalidOperationException">The object graph is deeper than <see cref="MessagePackCacheSerializerOptions.MaxDepth"/> (or cyclic).</exception>
    public byte[] Serialize<T>(T value)
    {
        MessagePackConverter<T> converter = ConverterCache<T>.Converter;
        PooledBufferWriter buffer = PooledBufferWriter.Rent();
        try
        {
            var writer = new MessagePackWriter(buffer, _maxDepth);
            converter.Write(ref writer, value);
            writer.Flush();
            return buffer.WrittenSpan.ToArray();
        }
        finally
        {
            PooledBufferWriter.Return(buffer);
        }
    }

    /// <inheritdoc/>
    /// <exception cref="MessagePackFormatException">The data is malformed, does not match <typeparamref name="T"/>, exceeds a limit, or has bytes left over.</exception>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> (or a type it contains) cannot be mapped.</exception>
    public T Deserialize<T>(ReadOnlySpan<byte> data)
    {
        MessagePackConverter<T> converter = ConverterCache<T>.Converter;
        var reader = new MessagePackReader(data, _maxDepth, _maxCollectionLength);
        T value;
        try
        {
            value = converter.Read(ref reader);
        }
        catch (Exception ex) when (ex is ArgumentException or OverflowException or InvalidCastException or (FormatException and not MessagePackFormatException))
        {
            // Raised by a constructor, a setter or a conversion while applying the data: still the data's fault.
            throw new MessagePackFormatException(reader.Position, $"the data could not be applied to {typeof(T)}: {ex.Message}", ex);
        }

        if (!reader.End)
        {
            MessagePackReader.ThrowAt(reader.Position, $"{reader.Remaining} bytes follow the value.");
        }

        return value;
    }
}
