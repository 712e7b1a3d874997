using System.Buffers.Text;
using System.Globalization;

namespace HybridCaching.Serialization.MessagePack.Converters;

internal sealed class BooleanConverter : MessagePackConverter<bool>
{
    public override void Write(ref MessagePackWriter writer, bool value) => writer.WriteBoolean(value);

    public override bool Read(ref MessagePackReader reader) => reader.ReadBoolean();
}

internal sealed class ByteConverter : MessagePackConverter<byte>
{
    public override void Write(ref MessagePackWriter writer, byte value) => writer.WriteUInt64(value);

    public override byte Read(ref MessagePackReader reader) => reader.ReadByte();
}

internal sealed class SByteConverter : MessagePackConverter<sbyte>
{
    public override void Write(ref MessagePackWriter writer, sbyte value) => writer.WriteInt64(value);

    public override sbyte Read(ref MessagePackReader reader) => reader.ReadSByte();
}

internal sealed class Int16Converter : MessagePackConverter<short>
{
    public override void Write(ref MessagePackWriter writer, short value) => writer.WriteInt64(value);

    public override short Read(ref MessagePackReader reader) => reader.ReadInt16();
}

internal sealed class UInt16Converter : MessagePackConverter<ushort>
{
    public override void Write(ref MessagePackWriter writer, ushort value) => writer.WriteUInt64(value);

    public override ushort Read(ref MessagePackReader reader) => reader.ReadUInt16();
}

internal sealed class Int32Converter : MessagePackConverter<int>
{
    public override void Write(ref MessagePackWriter writer, int value) => writer.WriteInt64(value);

    public override int Read(ref MessagePackReader reader) => reader.ReadInt32();
}

internal sealed class UInt32Converter : MessagePackConverter<uint>
{
    public override void Write(ref MessagePackWriter writer, uint value) => writer.WriteUInt64(value);

    public override uint Read(ref MessagePackReader reader) => reader.ReadUInt32();
}

internal sealed class Int64Converter : MessagePackConverter<long>
{
    public override void Write(ref MessagePackWriter writer, long value) => writer.WriteInt64(value);

    public override long Read(ref MessagePackReader reader) => reader.ReadInt64();
}

internal sealed class UInt64Converter : MessagePackConverter<ulong>
{
    public override void Write(ref MessagePackWriter writer, ulong value) => writer.WriteUInt64(value);

    public override ulong Read(ref MessagePackReader reader) => reader.ReadUInt64();
}

internal sealed class SingleConverter : MessagePackConverter<float>
{
    public override void Write(ref MessagePackWriter writer, float value) => writer.WriteSingle(value);

    public override float Read(ref MessagePackReader reader) => reader.ReadSingle();
}

internal sealed class DoubleConverter : MessagePackConverter<double>
{
    public override void Write(ref MessagePackWriter writer, double value) => writer.WriteDouble(value);

    public override double Read(ref MessagePackReader reader) => reader.ReadDouble();
}

/// <summary>
/// <see cref="decimal"/> as its invariant-culture string (e.g. <c>"12.50"</c>, scale kept): Go's msgpack has no
/// decimal type, a string is what Go decimal libraries read, and it is exact. Integers and floats are accepted too.
/// </summary>
internal sealed class DecimalConverter : MessagePackConverter<decimal>
{
    public override void Write(ref MessagePackWriter writer, decimal value)
    {
        Span<byte> utf8 = stackalloc byte[64];
        value.TryFormat(utf8, out int written, default, CultureInfo.InvariantCulture);
        writer.WriteStringUtf8(utf8.Slice(0, written));
    }

    public override decimal Read(ref MessagePackReader reader)
    {
        int start = reader.Position;
        switch (reader.PeekType())
        {
            case MessagePackType.String:
            case MessagePackType.Binary:
                ReadOnlySpan<byte> utf8 = reader.ReadStringSpan();
                if (utf8.Length <= 64 && decimal.TryParse(utf8, NumberStyles.Float, CultureInfo.InvariantCulture, out decimal parsed))
                {
                    return parsed;
                }

                MessagePackReader.ThrowAt(start, "the string is not a decimal number.");
                return default;
            case MessagePackType.Integer:
                // uint64 above Int64.MaxValue is the only integer ReadInt64 rejects.
                return reader.PeekCode() == MessagePackCode.UInt64 ? reader.ReadUInt64() : reader.ReadInt64();
            case MessagePackType.Float:
                double number = reader.ReadDouble();
                if (!double.IsFinite(number) || Math.Abs(number) >= 7.9228162514264337593543950335e28)
                {
                    MessagePackReader.ThrowAt(start, $"the number {number} does not fit Decimal.");
                }

                return (decimal)number;
            default:
                reader.ReadBytesSpan(); // throws: wrong family
                return default;
        }
    }
}

/// <summary><see cref="char"/> as an integer (its UTF-16 code unit), like a Go rune; a one-character string is accepted too.</summary>
internal sealed class CharConverter : MessagePackConverter<char>
{
    public override void Write(ref MessagePackWriter writer, char value) => writer.WriteUInt64(value);

    public override char Read(ref MessagePackReader reader)
    {
        MessagePackType type = reader.PeekType();
        if (type is not (MessagePackType.String or MessagePackType.Binary))
        {
            return (char)reader.ReadUInt16();
        }

        int start = reader.Position;
        ReadOnlySpan<byte> utf8 = reader.ReadStringSpan();
        Span<char> chars = stackalloc char[4];
        if (utf8.Length > 4 || System.Text.Encoding.UTF8.GetChars(utf8, chars) != 1)
        {
            MessagePackReader.ThrowAt(start, "expected a single character.");
        }

        return chars[0];
    }
}

internal sealed class StringConverter : MessagePackConverter<string?>
{
    public override void Write(ref MessagePackWriter writer, string? value) => writer.WriteString(value);

    public override string? Read(ref MessagePackReader reader) => reader.ReadString();
}

/// <summary><c>byte[]</c> as bin; str is accepted too.</summary>
internal sealed class ByteArrayConverter : MessagePackConverter<byte[]?>
{
    public override void Write(ref MessagePackWriter writer, byte[]? value)
    {
        if (value is null)
        {
            writer.WriteNil();
        }
        else
        {
            writer.WriteBinary(value);
        }
    }

    public override byte[]? Read(ref MessagePackReader reader) => reader.TryReadNil() ? null : reader.ReadBytesSpan().ToArray();
}

/// <summary>
/// <see cref="Guid"/> as 16 bytes of bin in RFC 4122 (big-endian) order, as Go's <c>uuid.UUID</c> marshals;
/// the textual forms (<c>D</c>, <c>N</c>, <c>B</c>, <c>P</c>) are accepted when reading.
/// </summary>
internal sealed class GuidConverter : MessagePackConverter<Guid>
{
    public override void Write(ref MessagePackWriter writer, Guid value)
    {
        Span<byte> bytes = stackalloc byte[16];
        value.TryWriteBytes(bytes, bigEndian: true, out _);
        writer.WriteBinary(bytes);
    }

    public override Guid Read(ref MessagePackReader reader)
    {
        int start = reader.Position;
        ReadOnlySpan<byte> bytes = reader.ReadBytesSpan();
        if (bytes.Length == 16)
        {
            return new Guid(bytes, bigEndian: true);
        }

        foreach (char format in "DNBP")
        {
            if (Utf8Parser.TryParse(bytes, out Guid parsed, out int consumed, format) && consumed == bytes.Length)
            {
                return parsed;
            }
        }

        MessagePackReader.ThrowAt(start, "expected a GUID (16 bytes or its text).");
        return default;
    }
}
