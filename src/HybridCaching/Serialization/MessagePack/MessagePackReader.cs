using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Text;

namespace HybridCaching.Serialization.MessagePack;

/// <summary>
/// Reads MessagePack values from a span, forward only, without copying: strings and binaries come back
/// as slices of the input.
/// </summary>
/// <remarks>
/// The input is treated as untrusted. Every length is checked against the bytes that remain before
/// anything is sliced or allocated, the reserved byte <c>0xc1</c> is rejected, and every problem raises
/// <see cref="MessagePackFormatException"/> with the offset where it was found. Integers of any encoded
/// width are accepted by every integer method whose type can hold the value; str and bin are
/// interchangeable (as in Go).
/// </remarks>
public ref struct MessagePackReader
{
    /// <summary>The default nesting limit of the object mapper.</summary>
    public const int DefaultMaxDepth = 64;

    private readonly ReadOnlySpan<byte> _buffer;
    private readonly int _maxDepth;
    private readonly int _maxCollectionLength;
    private int _position;
    private int _depth;

    /// <summary>Creates a reader positioned at the start of <paramref name="buffer"/>.</summary>
    /// <param name="buffer">The MessagePack data.</param>
    public MessagePackReader(ReadOnlySpan<byte> buffer)
        : this(buffer, DefaultMaxDepth, int.MaxValue)
    {
    }

    internal MessagePackReader(ReadOnlySpan<byte> buffer, int maxDepth, int maxCollectionLength)
    {
        _buffer = buffer;
        _maxDepth = maxDepth;
        _maxCollectionLength = maxCollectionLength;
        _position = 0;
        _depth = 0;
    }

    /// <summary>Gets the number of bytes consumed so far (the offset of the next value).</summary>
    public readonly int Position => _position;

    /// <summary>Gets the number of bytes not consumed yet.</summary>
    public readonly int Remaining => _buffer.Length - _position;

    /// <summary>Gets a value indicating whether every byte has been consumed.</summary>
    public readonly bool End => _position >= _buffer.Length;

    /// <summary>Tells the family of the next value without consuming it.</summary>
    /// <returns>The family.</returns>
    /// <exception cref="MessagePackFormatException">No bytes remain, or the next byte is <c>0xc1</c>.</exception>
    public readonly MessagePackType PeekType()
    {
        if (_position >= _buffer.Length)
        {
            ThrowEndOfData(_position, 1, 0);
        }

        byte code = _buffer[_position];
        return code switch
        {
            <= MessagePackCode.MaxPositiveFixInt => MessagePackType.Integer,
            <= MessagePackCode.MaxFixMap => MessagePackType.Map,
            <= MessagePackCode.MaxFixArray => MessagePackType.Array,
            <= MessagePackCode.MaxFixStr => MessagePackType.String,
            MessagePackCode.Nil => MessagePackType.Nil,
            MessagePackCode.False or MessagePackCode.True => MessagePackType.Boolean,
            >= MessagePackCode.Bin8 and <= MessagePackCode.Bin32 => MessagePackType.Binary,
            >= MessagePackCode.Ext8 and <= MessagePackCode.Ext32 => MessagePackType.Extension,
            MessagePackCode.Float32 or MessagePackCode.Float64 => MessagePackType.Float,
            >= MessagePackCode.UInt8 and <= MessagePackCode.Int64 => MessagePackType.Integer,
            >= MessagePackCode.FixExt1 and <= MessagePackCode.FixExt16 => MessagePackType.Extension,
            >= MessagePackCode.Str8 and <= MessagePackCode.Str32 => MessagePackType.String,
            MessagePackCode.Array16 or MessagePackCode.Array32 => MessagePackType.Array,
            MessagePackCode.Map16 or MessagePackCode.Map32 => MessagePackType.Map,
            >= MessagePackCode.MinNegativeFixInt => MessagePackType.Integer,
            _ => ThrowNeverUsed(_position),
        };
    }

    /// <summary>Consumes a nil if the next value is one.</summary>
    /// <returns><see langword="true"/> when a nil was consumed.</returns>
    /// <exception cref="MessagePackFormatException">No bytes remain.</exception>
    public bool TryReadNil()
    {
        int position = _position;
        if ((uint)position >= (uint)_buffer.Length)
        {
            ThrowEndOfData(position, 1, 0);
        }

        if (_buffer[position] == MessagePackCode.Nil)
        {
            _position = position + 1;
            return true;
        }

        return false;
    }

    /// <summary>Reads a nil.</summary>
    /// <exception cref="MessagePackFormatException">The next value is not nil.</exception>
    public void ReadNil()
    {
        int start = _position;
        byte code = ReadCode();
        if (code != MessagePackCode.Nil)
        {
            ThrowUnexpected(start, code, "nil");
        }
    }

    /// <summary>Reads a boolean.</summary>
    /// <returns>The value.</returns>
    /// <exception cref="MessagePackFormatException">The next value is not a boolean.</exception>
    public bool ReadBoolean()
    {
        int start = _position;
        byte code = ReadCode();
        switch (code)
        {
            case MessagePackCode.True:
                return true;
            case MessagePackCode.False:
                return false;
            default:
                ThrowUnexpected(start, code, "a boolean");
                return false;
        }
    }

    /// <summary>Reads an integer of any encoded width.</summary>
    /// <returns>The value.</returns>
    /// <exception cref="MessagePackFormatException">The next value is not an integer, or it does not fit.</exception>
    public sbyte ReadSByte()
    {
        int start = _position;
        long value = ReadInt64();
        if (value < sbyte.MinValue || value > sbyte.MaxValue)
        {
            ThrowOverflow(start, value, "SByte");
        }

        return (sbyte)value;
    }

    /// <summary>Reads an integer of any encoded width.</summary>
    /// <returns>The value.</returns>
    /// <exception cref="MessagePackFormatException">The next value is not an integer, or it does not fit.</exception>
    public byte ReadByte()
    {
        int start = _position;
        ulong value = ReadUInt64();
        if (value > byte.MaxValue)
        {
            ThrowOverflow(start, value, "Byte");
        }

        return (byte)value;
    }

    /// <summary>Reads an integer of any encoded width.</summary>
    /// <returns>The value.</returns>
    /// <exception cref="MessagePackFormatException">The next value is not an integer, or it does not fit.</exception>
    public short ReadInt16()
    {
        int start = _position;
        long value = ReadInt64();
        if (value < short.MinValue || value > short.MaxValue)
        {
            ThrowOverflow(start, value, "Int16");
        }

        return (short)value;
    }

    /// <summary>Reads an integer of any encoded width.</summary>
    /// <returns>The value.</returns>
    /// <exception cref="MessagePackFormatException">The next value is not an integer, or it does not fit.</exception>
    public ushort ReadUInt16()
    {
        int start = _position;
        ulong value = ReadUInt64();
        if (value > ushort.MaxValue)
        {
            ThrowOverflow(start, value, "UInt16");
        }

        return (ushort)value;
    }

    /// <summary>Reads an integer of any encoded width.</summary>
    /// <returns>The value.</returns>
    /// <exception cref="MessagePackFormatException">The next value is not an integer, or it does not fit.</exception>
    public int ReadInt32()
    {
        int start = _position;
        long value = ReadInt64();
        if (value < int.MinValue || value > int.MaxValue)
        {
            ThrowOverflow(start, value, "Int32");
        }

        return (int)value;
    }

    /// <summary>Reads an integer of any encoded width.</summary>
    /// <returns>The value.</returns>
    /// <exception cref="MessagePackFormatException">The next value is not an integer, or it does not fit.</exception>
    public uint ReadUInt32()
    {
        int start = _position;
        ulong value = ReadUInt64();
        if (value > uint.MaxValue)
        {
            ThrowOverflow(start, value, "UInt32");
        }

        return (uint)value;
    }

    /// <summary>Reads an integer of any encoded width.</summary>
    /// <returns>The value.</returns>
    /// <exception cref="MessagePackFormatException">The next value is not an integer, or it does not fit.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long ReadInt64()
    {
        int position = _position;
        if ((uint)position < (uint)_buffer.Length)
        {
            byte code = _buffer[position];
            if (code <= MessagePackCode.MaxPositiveFixInt)
            {
                _position = position + 1;
                return code;
            }

            if (code >= MessagePackCode.MinNegativeFixInt)
            {
                _position = position + 1;
                return unchecked((sbyte)code);
            }
        }

        return ReadInt64Slow();
    }

    /// <summary>Reads an integer of any encoded width.</summary>
    /// <returns>The value.</returns>
    /// <exception cref="MessagePackFormatException">The next value is not an integer, or it is negative.</exception>
    public ulong ReadUInt64()
    {
        int start = _position;
        byte code = ReadCode();
        if (code <= MessagePackCode.MaxPositiveFixInt)
        {
            return code;
        }

        long signed;
        switch (code)
        {
            case MessagePackCode.UInt8:
                return Take(1)[0];
            case MessagePackCode.UInt16:
                return BinaryPrimitives.ReadUInt16BigEndian(Take(2));
            case MessagePackCode.UInt32:
                return BinaryPrimitives.ReadUInt32BigEndian(Take(4));
            case MessagePackCode.UInt64:
                return BinaryPrimitives.ReadUInt64BigEndian(Take(8));
            case MessagePackCode.Int8:
                signed = unchecked((sbyte)Take(1)[0]);
                break;
            case MessagePackCode.Int16:
                signed = BinaryPrimitives.ReadInt16BigEndian(Take(2));
                break;
            case MessagePackCode.Int32:
                signed = BinaryPrimitives.ReadInt32BigEndian(Take(4));
                break;
            case MessagePackCode.Int64:
                signed = BinaryPrimitives.ReadInt64BigEndian(Take(8));
                break;
            case >= MessagePackCode.MinNegativeFixInt:
                signed = unchecked((sbyte)code);
                break;
            default:
                ThrowUnexpected(start, code, "an integer");
                return 0;
        }

        if (signed < 0)
        {
            ThrowOverflow(start, signed, "UInt64");
        }

        return (ulong)signed;
    }

    /// <summary>Reads a float32 (widened), a float64, or an integer (converted).</summary>
    /// <returns>The value.</returns>
    /// <exception cref="MessagePackFormatException">The next value is not a number.</exception>
    public double ReadDouble()
    {
        int start = _position;
        if ((uint)start < (uint)_buffer.Length)
        {
            switch (_buffer[start])
            {
                case MessagePackCode.Float64:
                    _position++;
                    return BinaryPrimitives.ReadDoubleBigEndian(Take(8));
                case MessagePackCode.Float32:
                    _position++;
                    return BinaryPrimitives.ReadSingleBigEndian(Take(4));
                case MessagePackCode.UInt64:
                    return ReadUInt64();
            }
        }

        return ReadIntegerAsNumber(start);
    }

    /// <summary>Reads a float32, a float64 (narrowed), or an integer (converted).</summary>
    /// <returns>The value.</returns>
    /// <exception cref="MessagePackFormatException">The next value is not a number.</exception>
    public float ReadSingle()
    {
        int start = _position;
        if ((uint)start < (uint)_buffer.Length)
        {
            switch (_buffer[start])
            {
                case MessagePackCode.Float32:
                    _position++;
                    return BinaryPrimitives.ReadSingleBigEndian(Take(4));
                case MessagePackCode.Float64:
                    _position++;
                    return (float)BinaryPrimitives.ReadDoubleBigEndian(Take(8));
                case MessagePackCode.UInt64:
                    return ReadUInt64();
            }
        }

        return (float)ReadIntegerAsNumber(start);
    }

    /// <summary>Reads a str or a bin and returns its bytes (UTF-8 for a str) as a slice of the input.</summary>
    /// <returns>The bytes.</returns>
    /// <exception cref="MessagePackFormatException">The next value is not a str or bin, or it is truncated.</exception>
    public ReadOnlySpan<byte> ReadStringSpan() => ReadBytesSpan();

    /// <summary>Reads a str or a bin and decodes it as UTF-8 (invalid sequences become U+FFFD); nil gives <see langword="null"/>.</summary>
    /// <returns>The string, or <see langword="null"/> for nil.</returns>
    /// <exception cref="MessagePackFormatException">The next value is not a str, bin or nil, or it is truncated.</exception>
    public string? ReadString()
    {
        if (TryReadNil())
        {
            return null;
        }

        ReadOnlySpan<byte> utf8 = ReadBytesSpan();
        return utf8.IsEmpty ? string.Empty : Encoding.UTF8.GetString(utf8);
    }

    /// <summary>Reads a bin or a str and returns its bytes as a slice of the input.</summary>
    /// <returns>The bytes.</returns>
    /// <exception cref="MessagePackFormatException">The next value is not a bin or str, or it is truncated.</exception>
    public ReadOnlySpan<byte> ReadBytesSpan()
    {
        int start = _position;
        byte code = ReadCode();
        int length;
        if ((code & 0xe0) == MessagePackCode.MinFixStr)
        {
            length = code & 0x1f;
        }
        else
        {
            switch (code)
            {
                case MessagePackCode.Str8:
                case MessagePackCode.Bin8:
                    length = Take(1)[0];
                    break;
                case MessagePackCode.Str16:
                case MessagePackCode.Bin16:
                    length = BinaryPrimitives.ReadUInt16BigEndian(Take(2));
                    break;
                case MessagePackCode.Str32:
                case MessagePackCode.Bin32:
                    length = ReadLength32(start);
                    break;
                default:
                    ThrowUnexpected(start, code, "a str or bin");
                    return default;
            }
        }

        return Take(length);
    }

    /// <summary>Reads an array header; the caller then reads that many values.</summary>
    /// <returns>The number of elements, never more than the bytes that remain.</returns>
    /// <exception cref="MessagePackFormatException">The next value is not an array, or its count exceeds the remaining bytes.</exception>
    public int ReadArrayHeader()
    {
        int start = _position;
        byte code = ReadCode();
        int count;
        if ((code & 0xf0) == MessagePackCode.MinFixArray)
        {
            count = code & 0x0f;
        }
        else if (code == MessagePackCode.Array16)
        {
            count = BinaryPrimitives.ReadUInt16BigEndian(Take(2));
        }
        else if (code == MessagePackCode.Array32)
        {
            count = ReadLength32(start);
        }
        else
        {
            ThrowUnexpected(start, code, "an array");
            return 0;
        }

        if (count > Remaining)
        {
            ThrowAt(start, $"the array claims {count} elements but only {Remaining} bytes remain.");
        }

        return count;
    }

    /// <summary>Reads a map header; the caller then reads that many key/value pairs.</summary>
    /// <returns>The number of entries, never more than half the bytes that remain.</returns>
    /// <exception cref="MessagePackFormatException">The next value is not a map, or its count exceeds what the remaining bytes can hold.</exception>
    public int ReadMapHeader()
    {
        int start = _position;
        byte code = ReadCode();
        int count;
        if ((code & 0xf0) == MessagePackCode.MinFixMap)
        {
            count = code & 0x0f;
        }
        else if (code == MessagePackCode.Map16)
        {
            count = BinaryPrimitives.ReadUInt16BigEndian(Take(2));
        }
        else if (code == MessagePackCode.Map32)
        {
            count = ReadLength32(start);
        }
        else
        {
            ThrowUnexpected(start, code, "a map");
            return 0;
        }

        if (count * 2L > Remaining)
        {
            ThrowAt(start, $"the map claims {count} entries but only {Remaining} bytes remain.");
        }

        return count;
    }

    /// <summary>Reads an extension header; the caller then reads the payload with <see cref="ReadRaw"/>.</summary>
    /// <returns>The type code and the payload length, never more than the bytes that remain.</returns>
    /// <exception cref="MessagePackFormatException">The next value is not an extension, or it is truncated.</exception>
    public MessagePackExtensionHeader ReadExtensionHeader()
    {
        int start = _position;
        byte code = ReadCode();
        int length;
        switch (code)
        {
            case MessagePackCode.FixExt1:
                length = 1;
                break;
            case MessagePackCode.FixExt2:
                length = 2;
                break;
            case MessagePackCode.FixExt4:
                length = 4;
                break;
            case MessagePackCode.FixExt8:
                length = 8;
                break;
            case MessagePackCode.FixExt16:
                length = 16;
                break;
            case MessagePackCode.Ext8:
                length = Take(1)[0];
                break;
            case MessagePackCode.Ext16:
                length = BinaryPrimitives.ReadUInt16BigEndian(Take(2));
                break;
            case MessagePackCode.Ext32:
                length = ReadLength32(start);
                break;
            default:
                ThrowUnexpected(start, code, "an extension");
                return default;
        }

        sbyte typeCode = unchecked((sbyte)Take(1)[0]);
        if (length > Remaining)
        {
            ThrowEndOfData(_position, length, Remaining);
        }

        return new MessagePackExtensionHeader(typeCode, length);
    }

    /// <summary>Reads a timestamp extension (type −1) in its 32-, 64- or 96-bit form.</summary>
    /// <returns>The instant, at offset zero.</returns>
    /// <exception cref="MessagePackFormatException">
    /// The next value is not a timestamp, its payload is not 4, 8 or 12 bytes, its nanoseconds exceed
    /// 999,999,999, or the instant lies outside the years 1–9999.
    /// </exception>
    public DateTimeOffset ReadTimestamp() => new(ReadTimestampTicks(), TimeSpan.Zero);

    /// <summary>Consumes <paramref name="length"/> bytes and returns them as a slice of the input.</summary>
    /// <param name="length">The number of bytes.</param>
    /// <returns>The bytes.</returns>
    /// <exception cref="MessagePackFormatException">Fewer bytes remain.</exception>
    public ReadOnlySpan<byte> ReadRaw(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        return Take(length);
    }

    /// <summary>Skips the next value, including everything nested in it.</summary>
    /// <remarks>Iterative: hostile nesting costs neither stack nor more steps than there are bytes.</remarks>
    /// <exception cref="MessagePackFormatException">The value is malformed or truncated.</exception>
    public void Skip()
    {
        long pending = 1;
        while (pending > 0)
        {
            pending--;
            int start = _position;
            byte code = ReadCode();
            switch (code)
            {
                case <= MessagePackCode.MaxPositiveFixInt:
                case >= MessagePackCode.MinNegativeFixInt:
                case MessagePackCode.Nil:
                case MessagePackCode.True:
                case MessagePackCode.False:
                    break;
                case <= MessagePackCode.MaxFixMap:
                case MessagePackCode.Map16:
                case MessagePackCode.Map32:
                    _position = start;
                    pending += 2L * ReadMapHeader();
                    break;
                case <= MessagePackCode.MaxFixArray:
                case MessagePackCode.Array16:
                case MessagePackCode.Array32:
                    _position = start;
                    pending += ReadArrayHeader();
                    break;
                case <= MessagePackCode.MaxFixStr:
                case MessagePackCode.Str8:
                case MessagePackCode.Str16:
                case MessagePackCode.Str32:
                case MessagePackCode.Bin8:
                case MessagePackCode.Bin16:
                case MessagePackCode.Bin32:
                    _position = start;
                    ReadBytesSpan();
                    break;
                case MessagePackCode.NeverUsed:
                    ThrowNeverUsed(start);
                    break;
                case MessagePackCode.Float32:
                    Take(4);
                    break;
                case MessagePackCode.Float64:
                    Take(8);
                    break;
                case MessagePackCode.UInt8:
                case MessagePackCode.Int8:
                    Take(1);
                    break;
                case MessagePackCode.UInt16:
                case MessagePackCode.Int16:
                    Take(2);
                    break;
                case MessagePackCode.UInt32:
                case MessagePackCode.Int32:
                    Take(4);
                    break;
                case MessagePackCode.UInt64:
                case MessagePackCode.Int64:
                    Take(8);
                    break;
                default:
                    _position = start;
                    Take(ReadExtensionHeader().Length);
                    break;
            }
        }
    }

    internal readonly int MaxCollectionLength => _maxCollectionLength;

    /// <summary>Returns the next format byte without consuming it.</summary>
    internal readonly byte PeekCode()
    {
        if (_position >= _buffer.Length)
        {
            ThrowEndOfData(_position, 1, 0);
        }

        return _buffer[_position];
    }

    /// <summary>Reads the timestamp extension as UTC ticks (shared by the DateTime and DateTimeOffset paths).</summary>
    internal long ReadTimestampTicks()
    {
        int start = _position;
        MessagePackExtensionHeader header = ReadExtensionHeader();
        if (header.TypeCode != MessagePackCode.TimestampExtension)
        {
            ThrowAt(start, $"expected a timestamp (extension -1) but found extension {header.TypeCode}.");
        }

        long seconds;
        uint nanoseconds;
        switch (header.Length)
        {
            case 4:
                seconds = BinaryPrimitives.ReadUInt32BigEndian(Take(4));
                nanoseconds = 0;
                break;
            case 8:
                ulong data = BinaryPrimitives.ReadUInt64BigEndian(Take(8));
                nanoseconds = (uint)(data >> 34);
                seconds = (long)(data & 0x3_ffff_ffffUL);
                break;
            case 12:
                ReadOnlySpan<byte> payload = Take(12);
                nanoseconds = BinaryPrimitives.ReadUInt32BigEndian(payload);
                seconds = BinaryPrimitives.ReadInt64BigEndian(payload.Slice(4));
                break;
            default:
                ThrowAt(start, $"a timestamp payload must be 4, 8 or 12 bytes, not {header.Length}.");
                return 0;
        }

        if (nanoseconds > 999_999_999)
        {
            ThrowAt(start, $"the timestamp's nanoseconds ({nanoseconds}) exceed 999,999,999.");
        }

        const long MinSeconds = -62_135_596_800; // 0001-01-01T00:00:00Z
        const long MaxSeconds = 253_402_300_799; // 9999-12-31T23:59:59Z
        if (seconds < MinSeconds || seconds > MaxSeconds)
        {
            ThrowAt(start, $"the timestamp's seconds ({seconds}) lie outside the years 1-9999.");
        }

        return DateTime.UnixEpoch.Ticks + (seconds * TimeSpan.TicksPerSecond) + (nanoseconds / 100);
    }

    /// <summary>Reads an array header for a collection the mapper will allocate: also enforces the collection-size cap.</summary>
    internal int ReadCollectionArrayHeader()
    {
        int start = _position;
        int count = ReadArrayHeader();
        if (count > _maxCollectionLength)
        {
            ThrowAt(start, $"the array has {count} elements; the limit is {_maxCollectionLength}.");
        }

        return count;
    }

    /// <summary>Reads a map header for a collection the mapper will allocate: also enforces the collection-size cap.</summary>
    internal int ReadCollectionMapHeader()
    {
        int start = _position;
        int count = ReadMapHeader();
        if (count > _maxCollectionLength)
        {
            ThrowAt(start, $"the map has {count} entries; the limit is {_maxCollectionLength}.");
        }

        return count;
    }

    /// <summary>Counts one level of nesting for the object mapper.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void EnterContainer()
    {
        if (++_depth > _maxDepth)
        {
            ThrowAt(_position, $"the data is nested deeper than {_maxDepth} levels.");
        }
    }

    internal void ExitContainer() => _depth--;

    /// <summary>Throws <see cref="MessagePackFormatException"/> for a problem at <paramref name="offset"/>.</summary>
    [DoesNotReturn]
    internal static void ThrowAt(int offset, string message) => throw new MessagePackFormatException(offset, message);

    [DoesNotReturn]
    internal static void ThrowUnexpected(int offset, byte code, string expected) =>
        throw new MessagePackFormatException(offset, $"expected {expected} but found {MessagePackCode.Describe(code)} (0x{code:x2}).");

    [DoesNotReturn]
    private static void ThrowEndOfData(int offset, int needed, int remaining) =>
        throw new MessagePackFormatException(offset, $"unexpected end of data: {needed} bytes needed, {remaining} remain.");

    [DoesNotReturn]
    private static MessagePackType ThrowNeverUsed(int offset) =>
        throw new MessagePackFormatException(offset, "the byte 0xc1 is never used in MessagePack.");

    [DoesNotReturn]
    private static void ThrowOverflow<TValue>(int offset, TValue value, string type) =>
        throw new MessagePackFormatException(offset, $"the integer {value} does not fit {type}.");

    private byte ReadCode()
    {
        int position = _position;
        if ((uint)position >= (uint)_buffer.Length)
        {
            ThrowEndOfData(position, 1, 0);
        }

        _position = position + 1;
        return _buffer[position];
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ReadOnlySpan<byte> Take(int length)
    {
        int position = _position;
        if ((uint)length > (uint)(_buffer.Length - position))
        {
            ThrowEndOfData(position, length, _buffer.Length - position);
        }

        _position = position + length;
        return _buffer.Slice(position, length);
    }

    private int ReadLength32(int start)
    {
        uint length = BinaryPrimitives.ReadUInt32BigEndian(Take(4));
        if (length > int.MaxValue)
        {
            ThrowAt(start, $"the length {length} is larger than any input this reader accepts.");
        }

        return (int)length;
    }

    private long ReadInt64Slow()
    {
        int start = _position;
        byte code = ReadCode();
        switch (code)
        {
            case <= MessagePackCode.MaxPositiveFixInt:
                return code;
            case >= MessagePackCode.MinNegativeFixInt:
                return unchecked((sbyte)code);
            case MessagePackCode.UInt8:
                return Take(1)[0];
            case MessagePackCode.UInt16:
                return BinaryPrimitives.ReadUInt16BigEndian(Take(2));
            case MessagePackCode.UInt32:
                return BinaryPrimitives.ReadUInt32BigEndian(Take(4));
            case MessagePackCode.UInt64:
                ulong value = BinaryPrimitives.ReadUInt64BigEndian(Take(8));
                if (value > long.MaxValue)
                {
                    ThrowOverflow(start, value, "Int64");
                }

                return (long)value;
            case MessagePackCode.Int8:
                return unchecked((sbyte)Take(1)[0]);
            case MessagePackCode.Int16:
                return BinaryPrimitives.ReadInt16BigEndian(Take(2));
            case MessagePackCode.Int32:
                return BinaryPrimitives.ReadInt32BigEndian(Take(4));
            case MessagePackCode.Int64:
                return BinaryPrimitives.ReadInt64BigEndian(Take(8));
            default:
                ThrowUnexpected(start, code, "an integer");
                return 0;
        }
    }

    private double ReadIntegerAsNumber(int start)
    {
        if ((uint)start < (uint)_buffer.Length)
        {
            byte code = _buffer[start];
            bool isInteger = code <= MessagePackCode.MaxPositiveFixInt
                || code >= MessagePackCode.MinNegativeFixInt
                || (code >= MessagePackCode.UInt8 && code <= MessagePackCode.Int64);
            if (!isInteger)
            {
                ThrowUnexpected(start, code, "a number");
            }
        }

        return ReadInt64();
    }
}
