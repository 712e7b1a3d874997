using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Text;

namespace HybridCaching.Serialization.MessagePack;

/// <summary>
/// Writes MessagePack values into an <see cref="IBufferWriter{T}"/>, always in the smallest form the
/// specification allows (the choices Go's <c>vmihailenco/msgpack</c> makes, so the bytes match it).
/// </summary>
/// <remarks>
/// Small writes are gathered in the span last obtained from the buffer writer and committed in one
/// <see cref="IBufferWriter{T}.Advance(int)"/>: call <see cref="Flush"/> when done, and do not write to the
/// buffer writer directly between two calls on this writer.
/// </remarks>
public ref struct MessagePackWriter
{
    private const int MinimumBufferSize = 256;

    private readonly IBufferWriter<byte> _output;
    private Span<byte> _span;
    private int _buffered;
    private int _depth;
    private readonly int _maxDepth;

    /// <summary>Creates a writer that appends to <paramref name="output"/>.</summary>
    /// <param name="output">Where the bytes go.</param>
    public MessagePackWriter(IBufferWriter<byte> output)
        : this(output, MessagePackReader.DefaultMaxDepth)
    {
    }

    internal MessagePackWriter(IBufferWriter<byte> output, int maxDepth)
    {
        ArgumentNullException.ThrowIfNull(output);
        _output = output;
        _span = default;
        _buffered = 0;
        _depth = 0;
        _maxDepth = maxDepth;
    }

    /// <summary>Commits every byte written so far to the underlying buffer writer.</summary>
    public void Flush()
    {
        if (_buffered > 0)
        {
            _output.Advance(_buffered);
        }

        _span = default;
        _buffered = 0;
    }

    /// <summary>Writes nil (<c>0xc0</c>).</summary>
    public void WriteNil() => WriteCode(MessagePackCode.Nil);

    /// <summary>Writes true (<c>0xc3</c>) or false (<c>0xc2</c>).</summary>
    /// <param name="value">The value.</param>
    public void WriteBoolean(bool value) => WriteCode(value ? MessagePackCode.True : MessagePackCode.False);

    /// <summary>Writes an integer in its smallest form.</summary>
    /// <param name="value">The value.</param>
    public void WriteByte(byte value) => WriteUInt64(value);

    /// <summary>Writes an integer in its smallest form.</summary>
    /// <param name="value">The value.</param>
    public void WriteSByte(sbyte value) => WriteInt64(value);

    /// <summary>Writes an integer in its smallest form.</summary>
    /// <param name="value">The value.</param>
    public void WriteInt16(short value) => WriteInt64(value);

    /// <summary>Writes an integer in its smallest form.</summary>
    /// <param name="value">The value.</param>
    public void WriteUInt16(ushort value) => WriteUInt64(value);

    /// <summary>Writes an integer in its smallest form.</summary>
    /// <param name="value">The value.</param>
    public void WriteInt32(int value) => WriteInt64(value);

    /// <summary>Writes an integer in its smallest form.</summary>
    /// <param name="value">The value.</param>
    public void WriteUInt32(uint value) => WriteUInt64(value);

    /// <summary>
    /// Writes an integer in its smallest form: non-negative values as positive fixint or uint8…uint64,
    /// negative values as negative fixint or int8…int64.
    /// </summary>
    /// <param name="value">The value.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WriteInt64(long value)
    {
        if (value >= 0)
        {
            WriteUInt64((ulong)value);
        }
        else
        {
            WriteNegative(value);
        }
    }

    /// <summary>Writes a non-negative integer as positive fixint or uint8…uint64, whichever is smallest.</summary>
    /// <param name="value">The value.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WriteUInt64(ulong value)
    {
        if (value <= MessagePackCode.MaxPositiveFixInt)
        {
            WriteCode((byte)value);
        }
        else
        {
            WriteUnsignedSlow(value);
        }
    }

    /// <summary>Writes a float32 (<c>0xca</c>).</summary>
    /// <param name="value">The value.</param>
    public void WriteSingle(float value)
    {
        Span<byte> span = Reserve(5);
        span[0] = MessagePackCode.Float32;
        BinaryPrimitives.WriteSingleBigEndian(span.Slice(1), value);
        _buffered += 5;
    }

    /// <summary>Writes a float64 (<c>0xcb</c>).</summary>
    /// <param name="value">The value.</param>
    public void WriteDouble(double value)
    {
        Span<byte> span = Reserve(9);
        span[0] = MessagePackCode.Float64;
        BinaryPrimitives.WriteDoubleBigEndian(span.Slice(1), value);
        _buffered += 9;
    }

    /// <summary>Writes a string as UTF-8 (fixstr, str8, str16 or str32), or nil when it is <see langword="null"/>.</summary>
    /// <param name="value">The value.</param>
    public void WriteString(string? value)
    {
        if (value is null)
        {
            WriteNil();
        }
        else
        {
            WriteString(value.AsSpan());
        }
    }

    /// <summary>Writes characters as a UTF-8 string (fixstr, str8, str16 or str32).</summary>
    /// <param name="value">The characters; lone surrogates become U+FFFD.</param>
    public void WriteString(scoped ReadOnlySpan<char> value)
    {
        int byteCount = Encoding.UTF8.GetByteCount(value);
        WriteStringHeader(byteCount);
        Span<byte> span = Reserve(byteCount);
        int written = Encoding.UTF8.GetBytes(value, span);
        _buffered += written;
    }

    /// <summary>Writes already-encoded UTF-8 bytes as a string (fixstr, str8, str16 or str32).</summary>
    /// <param name="utf8">The UTF-8 bytes.</param>
    public void WriteStringUtf8(scoped ReadOnlySpan<byte> utf8)
    {
        WriteStringHeader(utf8.Length);
        WriteRaw(utf8);
    }

    /// <summary>Writes a string header (fixstr, str8, str16 or str32) for <paramref name="byteCount"/> bytes that the caller writes next with <see cref="WriteRaw"/>.</summary>
    /// <param name="byteCount">The length of the UTF-8 bytes.</param>
    public void WriteStringHeader(int byteCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(byteCount);
        if (byteCount <= 31)
        {
            WriteCode((byte)(MessagePackCode.MinFixStr | byteCount));
            return;
        }

        WriteLengthHeader(byteCount, MessagePackCode.Str8, MessagePackCode.Str16, MessagePackCode.Str32);
    }

    /// <summary>Writes bytes as bin8, bin16 or bin32.</summary>
    /// <param name="value">The bytes.</param>
    public void WriteBinary(scoped ReadOnlySpan<byte> value)
    {
        WriteBinaryHeader(value.Length);
        WriteRaw(value);
    }

    /// <summary>Writes a bin header (bin8, bin16 or bin32) for <paramref name="length"/> bytes that the caller writes next with <see cref="WriteRaw"/>.</summary>
    /// <param name="length">The number of bytes.</param>
    public void WriteBinaryHeader(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        WriteLengthHeader(length, MessagePackCode.Bin8, MessagePackCode.Bin16, MessagePackCode.Bin32);
    }

    /// <summary>Writes an array header (fixarray, array16 or array32); the caller then writes <paramref name="count"/> values.</summary>
    /// <param name="count">The number of elements.</param>
    public void WriteArrayHeader(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (count <= 15)
        {
            WriteCode((byte)(MessagePackCode.MinFixArray | count));
        }
        else if (count <= ushort.MaxValue)
        {
            Span<byte> span = Reserve(3);
            span[0] = MessagePackCode.Array16;
            BinaryPrimitives.WriteUInt16BigEndian(span.Slice(1), (ushort)count);
            _buffered += 3;
        }
        else
        {
            Span<byte> span = Reserve(5);
            span[0] = MessagePackCode.Array32;
            BinaryPrimitives.WriteUInt32BigEndian(span.Slice(1), (uint)count);
            _buffered += 5;
        }
    }

    /// <summary>Writes a map header (fixmap, map16 or map32); the caller then writes <paramref name="count"/> key/value pairs.</summary>
    /// <param name="count">The number of entries.</param>
    public void WriteMapHeader(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (count <= 15)
        {
            WriteCode((byte)(MessagePackCode.MinFixMap | count));
        }
        else if (count <= ushort.MaxValue)
        {
            Span<byte> span = Reserve(3);
            span[0] = MessagePackCode.Map16;
            BinaryPrimitives.WriteUInt16BigEndian(span.Slice(1), (ushort)count);
            _buffered += 3;
        }
        else
        {
            Span<byte> span = Reserve(5);
            span[0] = MessagePackCode.Map32;
            BinaryPrimitives.WriteUInt32BigEndian(span.Slice(1), (uint)count);
            _buffered += 5;
        }
    }

    /// <summary>
    /// Writes an extension header (fixext 1/2/4/8/16, or ext8/16/32 for other lengths); the caller then
    /// writes <paramref name="length"/> bytes of payload with <see cref="WriteRaw"/>.
    /// </summary>
    /// <param name="typeCode">The extension type (negative values are reserved by the specification; −1 is the timestamp).</param>
    /// <param name="length">The payload length in bytes.</param>
    public void WriteExtensionHeader(sbyte typeCode, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        byte fixCode = length switch
        {
            1 => MessagePackCode.FixExt1,
            2 => MessagePackCode.FixExt2,
            4 => MessagePackCode.FixExt4,
            8 => MessagePackCode.FixExt8,
            16 => MessagePackCode.FixExt16,
            _ => 0,
        };
        if (fixCode != 0)
        {
            Span<byte> span = Reserve(2);
            span[0] = fixCode;
            span[1] = unchecked((byte)typeCode);
            _buffered += 2;
            return;
        }

        WriteLengthHeader(length, MessagePackCode.Ext8, MessagePackCode.Ext16, MessagePackCode.Ext32);
        WriteCode(unchecked((byte)typeCode));
    }

    /// <summary>
    /// Writes an instant as the timestamp extension (type −1) in its smallest form: 32-bit when it has no
    /// fraction of a second and its seconds fit an unsigned 32-bit number, 64-bit when the seconds are
    /// non-negative and below 2^34, 96-bit otherwise (the same choice Go makes).
    /// </summary>
    /// <param name="value">The instant; its offset is not stored.</param>
    public void WriteTimestamp(DateTimeOffset value) => WriteTimestampTicks(value.UtcTicks);

    /// <summary>Writes bytes as they are, e.g. a pre-encoded value or an extension payload.</summary>
    /// <param name="bytes">The bytes.</param>
    public void WriteRaw(scoped ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length <= MinimumBufferSize * 4)
        {
            Span<byte> span = Reserve(bytes.Length);
            bytes.CopyTo(span);
            _buffered += bytes.Length;
            return;
        }

        // Large payloads go straight to the output in the chunks it offers.
        Flush();
        while (!bytes.IsEmpty)
        {
            Span<byte> span = _output.GetSpan(Math.Min(bytes.Length, 1 << 20));
            int count = Math.Min(span.Length, bytes.Length);
            bytes.Slice(0, count).CopyTo(span);
            _output.Advance(count);
            bytes = bytes.Slice(count);
        }
    }

    internal void WriteTimestampTicks(long utcTicks)
    {
        long sinceEpoch = utcTicks - DateTime.UnixEpoch.Ticks;
        long seconds = Math.DivRem(sinceEpoch, TimeSpan.TicksPerSecond, out long remainder);
        if (remainder < 0)
        {
            seconds--;
            remainder += TimeSpan.TicksPerSecond;
        }

        uint nanoseconds = (uint)(remainder * 100);
        if ((ulong)seconds >> 34 == 0)
        {
            ulong data = ((ulong)nanoseconds << 34) | (ulong)seconds;
            if ((data & 0xffffffff00000000UL) == 0)
            {
                Span<byte> span = Reserve(6);
                span[0] = MessagePackCode.FixExt4;
                span[1] = 0xff;
                BinaryPrimitives.WriteUInt32BigEndian(span.Slice(2), (uint)data);
                _buffered += 6;
            }
            else
            {
                Span<byte> span = Reserve(10);
                span[0] = MessagePackCode.FixExt8;
                span[1] = 0xff;
                BinaryPrimitives.WriteUInt64BigEndian(span.Slice(2), data);
                _buffered += 10;
            }
        }
        else
        {
            Span<byte> span = Reserve(15);
            span[0] = MessagePackCode.Ext8;
            span[1] = 12;
            span[2] = 0xff;
            BinaryPrimitives.WriteUInt32BigEndian(span.Slice(3), nanoseconds);
            BinaryPrimitives.WriteInt64BigEndian(span.Slice(7), seconds);
            _buffered += 15;
        }
    }

    /// <summary>Counts one level of nesting for the object mapper; a cyclic or absurdly deep graph fails here instead of overflowing the stack.</summary>
    internal void EnterContainer()
    {
        if (++_depth > _maxDepth)
        {
            ThrowTooDeep(_maxDepth);
        }
    }

    internal void ExitContainer() => _depth--;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void WriteCode(byte code)
    {
        Span<byte> span = _span;
        int buffered = _buffered;
        if ((uint)buffered < (uint)span.Length)
        {
            span[buffered] = code;
            _buffered = buffered + 1;
        }
        else
        {
            Reserve(1)[0] = code;
            _buffered++;
        }
    }

    private void WriteNegative(long value)
    {
        if (value >= -32)
        {
            WriteCode(unchecked((byte)value));
        }
        else if (value >= sbyte.MinValue)
        {
            Span<byte> span = Reserve(2);
            span[0] = MessagePackCode.Int8;
            span[1] = unchecked((byte)value);
            _buffered += 2;
        }
        else if (value >= short.MinValue)
        {
            Span<byte> span = Reserve(3);
            span[0] = MessagePackCode.Int16;
            BinaryPrimitives.WriteInt16BigEndian(span.Slice(1), (short)value);
            _buffered += 3;
        }
        else if (value >= int.MinValue)
        {
            Span<byte> span = Reserve(5);
            span[0] = MessagePackCode.Int32;
            BinaryPrimitives.WriteInt32BigEndian(span.Slice(1), (int)value);
            _buffered += 5;
        }
        else
        {
            Span<byte> span = Reserve(9);
            span[0] = MessagePackCode.Int64;
            BinaryPrimitives.WriteInt64BigEndian(span.Slice(1), value);
            _buffered += 9;
        }
    }

    private void WriteUnsignedSlow(ulong value)
    {
        if (value <= byte.MaxValue)
        {
            Span<byte> span = Reserve(2);
            span[0] = MessagePackCode.UInt8;
            span[1] = (byte)value;
            _buffered += 2;
        }
        else if (value <= ushort.MaxValue)
        {
            Span<byte> span = Reserve(3);
            span[0] = MessagePackCode.UInt16;
            BinaryPrimitives.WriteUInt16BigEndian(span.Slice(1), (ushort)value);
            _buffered += 3;
        }
        else if (value <= uint.MaxValue)
        {
            Span<byte> span = Reserve(5);
            span[0] = MessagePackCode.UInt32;
            BinaryPrimitives.WriteUInt32BigEndian(span.Slice(1), (uint)value);
            _buffered += 5;
        }
        else
        {
            Span<byte> span = Reserve(9);
            span[0] = MessagePackCode.UInt64;
            BinaryPrimitives.WriteUInt64BigEndian(span.Slice(1), value);
            _buffered += 9;
        }
    }

    private void WriteLengthHeader(int length, byte code8, byte code16, byte code32)
    {
        if (length <= byte.MaxValue)
        {
            Span<byte> span = Reserve(2);
            span[0] = code8;
            span[1] = (byte)length;
            _buffered += 2;
        }
        else if (length <= ushort.MaxValue)
        {
            Span<byte> span = Reserve(3);
            span[0] = code16;
            BinaryPrimitives.WriteUInt16BigEndian(span.Slice(1), (ushort)length);
            _buffered += 3;
        }
        else
        {
            Span<byte> span = Reserve(5);
            span[0] = code32;
            BinaryPrimitives.WriteUInt32BigEndian(span.Slice(1), (uint)length);
            _buffered += 5;
        }
    }

    /// <summary>Returns free space of at least <paramref name="size"/> bytes; the caller adds what it used to <see cref="_buffered"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Span<byte> Reserve(int size)
    {
        Span<byte> free = _span.Slice(_buffered);
        return free.Length >= size ? free : Grow(size);
    }

    private Span<byte> Grow(int size)
    {
        Flush();
        Span<byte> span = _output.GetSpan(Math.Max(size, MinimumBufferSize));
        if (span.Length < size)
        {
            throw new InvalidOperationException("The buffer writer returned less space than requested.");
        }

        _span = span;
        return span;
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void ThrowTooDeep(int maxDepth) =>
        throw new InvalidOperationException($"The object graph is nested deeper than {maxDepth} levels (or contains a cycle); MessagePack output would not be readable.");
}
