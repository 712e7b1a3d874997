using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using MessagePack;
using MessagePack.Formatters;

namespace HybridCaching.Serialization;

/// <summary>
/// The shortcut <see cref="MessagePackCacheSerializer"/> takes for a top-level <see cref="int"/> or <see cref="long"/>
/// when its resolver uses MessagePack-CSharp's standard formatters for them: the same bytes MessagePack-CSharp writes
/// (the shortest integer encoding), and every integer encoding read back, without setting up a writer or reader.
/// </summary>
/// <remarks>
/// Go writes integers in these encodings too; a value that does not fit the requested type, trailing bytes or any
/// other type raise <see cref="MessagePackSerializationException"/>, as MessagePack-CSharp's own path does.
/// </remarks>
internal static class MessagePackIntegers
{
    /// <summary>The longest integer encoding: a type byte and eight bytes.</summary>
    private const int MaxLength = 9;

    /// <summary>Whether <paramref name="options"/> write and read <see cref="int"/> and <see cref="long"/> exactly as this class does.</summary>
    public static bool AreStandard(MessagePackSerializerOptions options) =>
        options.Compression == MessagePackCompression.None
        && options.Resolver.GetFormatter<int>() is Int32Formatter
        && options.Resolver.GetFormatter<long>() is Int64Formatter;

    /// <summary>Encodes <paramref name="value"/> into a new array when it is an <see cref="int"/> or <see cref="long"/>.</summary>
    public static bool TryWrite<T>(T value, [NotNullWhen(true)] out byte[]? bytes)
    {
        if (!TryGetInt64(value, out long integer))
        {
            bytes = null;
            return false;
        }

        Span<byte> buffer = stackalloc byte[MaxLength];
        bytes = buffer[..Write(integer, buffer)].ToArray();
        return true;
    }

    /// <summary>Encodes <paramref name="value"/> into <paramref name="destination"/> when it is an <see cref="int"/> or <see cref="long"/>.</summary>
    public static bool TryWrite<T>(T value, IBufferWriter<byte> destination)
    {
        if (!TryGetInt64(value, out long integer))
        {
            return false;
        }

        destination.Advance(Write(integer, destination.GetSpan(MaxLength)));
        return true;
    }

    /// <summary>Decodes <paramref name="data"/> when <typeparamref name="T"/> is <see cref="int"/> or <see cref="long"/>.</summary>
    /// <exception cref="MessagePackSerializationException">The data is not one integer that fits <typeparamref name="T"/>.</exception>
    public static bool TryRead<T>(ReadOnlySpan<byte> data, out T value)
    {
        if (typeof(T) == typeof(int))
        {
            long integer = Read(data, typeof(T));
            if (integer is < int.MinValue or > int.MaxValue)
            {
                throw OutOfRange(typeof(T));
            }

            int narrowed = (int)integer;
            value = Unsafe.As<int, T>(ref narrowed);
            return true;
        }

        if (typeof(T) == typeof(long))
        {
            long integer = Read(data, typeof(T));
            value = Unsafe.As<long, T>(ref integer);
            return true;
        }

        value = default!;
        return false;
    }

    private static bool TryGetInt64<T>(T value, out long integer)
    {
        if (typeof(T) == typeof(int))
        {
            integer = Unsafe.As<T, int>(ref value);
            return true;
        }

        if (typeof(T) == typeof(long))
        {
            integer = Unsafe.As<T, long>(ref value);
            return true;
        }

        integer = 0;
        return false;
    }

    private static int Write(long value, Span<byte> destination)
    {
        if (value >= 0)
        {
            switch (value)
            {
                case <= 0x7f:
                    destination[0] = (byte)value;
                    return 1;
                case <= byte.MaxValue:
                    destination[0] = MessagePackCode.UInt8;
                    destination[1] = (byte)value;
                    return 2;
                case <= ushort.MaxValue:
                    destination[0] = MessagePackCode.UInt16;
                    BinaryPrimitives.WriteUInt16BigEndian(destination[1..], (ushort)value);
                    return 3;
                case <= uint.MaxValue:
                    destination[0] = MessagePackCode.UInt32;
                    BinaryPrimitives.WriteUInt32BigEndian(destination[1..], (uint)value);
                    return 5;
                default:
                    destination[0] = MessagePackCode.UInt64;
                    BinaryPrimitives.WriteUInt64BigEndian(destination[1..], (ulong)value);
                    return 9;
            }
        }

        switch (value)
        {
            case >= -32:
                destination[0] = (byte)value;
                return 1;
            case >= sbyte.MinValue:
                destination[0] = MessagePackCode.Int8;
                destination[1] = (byte)value;
                return 2;
            case >= short.MinValue:
                destination[0] = MessagePackCode.Int16;
                BinaryPrimitives.WriteInt16BigEndian(destination[1..], (short)value);
                return 3;
            case >= int.MinValue:
                destination[0] = MessagePackCode.Int32;
                BinaryPrimitives.WriteInt32BigEndian(destination[1..], (int)value);
                return 5;
            default:
                destination[0] = MessagePackCode.Int64;
                BinaryPrimitives.WriteInt64BigEndian(destination[1..], value);
                return 9;
        }
    }

    private static long Read(ReadOnlySpan<byte> data, Type type)
    {
        if (data.IsEmpty)
        {
            throw new MessagePackSerializationException($"No data to read a {type} from.");
        }

        byte code = data[0];
        (long Value, int Length) read = code switch
        {
            <= 0x7f => (code, 1),
            >= 0xe0 => ((sbyte)code, 1),
            MessagePackCode.UInt8 when data.Length >= 2 => (data[1], 2),
            MessagePackCode.UInt16 when data.Length >= 3 => (BinaryPrimitives.ReadUInt16BigEndian(data[1..]), 3),
            MessagePackCode.UInt32 when data.Length >= 5 => (BinaryPrimitives.ReadUInt32BigEndian(data[1..]), 5),
            MessagePackCode.UInt64 when data.Length >= 9 => (ReadUInt64AsInt64(data[1..], type), 9),
            MessagePackCode.Int8 when data.Length >= 2 => ((sbyte)data[1], 2),
            MessagePackCode.Int16 when data.Length >= 3 => (BinaryPrimitives.ReadInt16BigEndian(data[1..]), 3),
            MessagePackCode.Int32 when data.Length >= 5 => (BinaryPrimitives.ReadInt32BigEndian(data[1..]), 5),
            MessagePackCode.Int64 when data.Length >= 9 => (BinaryPrimitives.ReadInt64BigEndian(data[1..]), 9),
            _ => throw new MessagePackSerializationException($"The data is not a {type} (code 0x{code:x2}, {data.Length} bytes)."),
        };

        if (read.Length != data.Length)
        {
            throw new MessagePackSerializationException($"{data.Length - read.Length} bytes follow the {type} value.");
        }

        return read.Value;
    }

    private static long ReadUInt64AsInt64(ReadOnlySpan<byte> data, Type type)
    {
        ulong value = BinaryPrimitives.ReadUInt64BigEndian(data);
        return value <= long.MaxValue ? (long)value : throw OutOfRange(type);
    }

    private static MessagePackSerializationException OutOfRange(Type type) => new($"The integer does not fit {type}.");
}
