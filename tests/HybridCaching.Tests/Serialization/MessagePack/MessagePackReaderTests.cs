using System.Buffers;
using HybridCaching.Serialization.MessagePack;

namespace HybridCaching.Tests.Serialization.MessagePack;

public class MessagePackReaderTests
{
    private delegate void ReadAction(ref MessagePackReader reader);

    private static MessagePackFormatException AssertFails(string hex, ReadAction action)
    {
        byte[] data = Convert.FromHexString(hex);
        return Assert.Throws<MessagePackFormatException>(() =>
        {
            var reader = new MessagePackReader(data);
            action(ref reader);
        });
    }

    private static byte[] Encode(Action<ArrayBufferWriter<byte>> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        write(buffer);
        return buffer.WrittenSpan.ToArray();
    }

    [Theory]
    [InlineData("00", 0L)]
    [InlineData("7f", 127L)]
    [InlineData("cc80", 128L)]
    [InlineData("cd0100", 256L)]
    [InlineData("ce00010000", 65536L)]
    [InlineData("cf0000000100000000", 4294967296L)]
    [InlineData("ff", -1L)]
    [InlineData("e0", -32L)]
    [InlineData("d0df", -33L)]
    [InlineData("d1ff7f", -129L)]
    [InlineData("d2ffff7fff", -32769L)]
    [InlineData("d3ffffffff7fffffff", -2147483649L)]
    [InlineData("d38000000000000000", long.MinValue)]
    [InlineData("cf7fffffffffffffff", long.MaxValue)]
    [InlineData("d001", 1L)]
    [InlineData("d30000000000000007", 7L)]
    [InlineData("cc05", 5L)]
    public void ReadInt64_AnyEncodedWidth_ReturnsValue(string hex, long expected)
    {
        var reader = new MessagePackReader(Convert.FromHexString(hex));

        Assert.Equal(expected, reader.ReadInt64());
        Assert.True(reader.End);
    }

    [Fact]
    public void ReadNarrowIntegers_WideEncodingsThatFit_ReturnValues()
    {
        var reader = new MessagePackReader(Convert.FromHexString("cd00ff" + "d3fffffffffffffff6" + "cf0000000000007fff" + "d20000ffff" + "d27fffffff" + "ce7fffffff" + "d000" + "d0ff"));
        Assert.Equal(255, reader.ReadByte());
        Assert.Equal(-10, reader.ReadSByte());
        Assert.Equal(short.MaxValue, reader.ReadInt16());
        Assert.Equal(ushort.MaxValue, reader.ReadUInt16());
        Assert.Equal(int.MaxValue, reader.ReadInt32());
        Assert.Equal(int.MaxValue, (int)reader.ReadUInt32());
        Assert.Equal(0UL, reader.ReadUInt64());
        Assert.Equal(-1, reader.ReadInt32());
        Assert.True(reader.End);
    }

    [Theory]
    [InlineData("cd0100", "Byte")]
    [InlineData("ff", "Byte")]
    [InlineData("cc80", "SByte")]
    [InlineData("d1ff7f", "SByte")]
    [InlineData("cd8000", "Int16")]
    [InlineData("ce00010000", "UInt16")]
    [InlineData("ce80000000", "Int32")]
    [InlineData("d2ffffffff", "UInt32")]
    [InlineData("cf8000000000000000", "Int64")]
    [InlineData("e0", "UInt64")]
    [InlineData("d3ffffffffffffffff", "UInt64")]
    public void ReadInteger_ValueDoesNotFit_ThrowsAtValueStart(string hex, string type)
    {
        MessagePackFormatException ex = AssertFails("01" + hex, (ref MessagePackReader r) =>
        {
            r.ReadInt32();
            switch (type)
            {
                case "Byte": r.ReadByte(); break;
                case "SByte": r.ReadSByte(); break;
                case "Int16": r.ReadInt16(); break;
                case "UInt16": r.ReadUInt16(); break;
                case "Int32": r.ReadInt32(); break;
                case "UInt32": r.ReadUInt32(); break;
                case "Int64": r.ReadInt64(); break;
                default: r.ReadUInt64(); break;
            }
        });

        Assert.Equal(1, ex.Offset);
        Assert.Contains("offset 1", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("a0")]
    [InlineData("c0")]
    [InlineData("c3")]
    [InlineData("ca3fc00000")]
    [InlineData("90")]
    public void ReadInt64_NotAnInteger_Throws(string hex)
    {
        MessagePackFormatException ex = AssertFails(hex, (ref MessagePackReader r) => r.ReadInt64());
        Assert.Equal(0, ex.Offset);
    }

    [Fact]
    public void ReadUInt64_FullRange_ReturnsValue()
    {
        var reader = new MessagePackReader(Convert.FromHexString("cfffffffffffffffff" + "d07f"));
        Assert.Equal(ulong.MaxValue, reader.ReadUInt64());
        Assert.Equal(127UL, reader.ReadUInt64());
    }

    [Fact]
    public void ReadDouble_FloatsAndIntegers_ReturnsValues()
    {
        var reader = new MessagePackReader(Convert.FromHexString("cb3ff8000000000000" + "ca3fc00000" + "05" + "d0fb" + "cfffffffffffffffff"));
        Assert.Equal(1.5, reader.ReadDouble());
        Assert.Equal(1.5, reader.ReadDouble());
        Assert.Equal(5.0, reader.ReadDouble());
        Assert.Equal(-5.0, reader.ReadDouble());
        Assert.Equal(18446744073709551615.0, reader.ReadDouble());
        Assert.True(reader.End);
    }

    [Fact]
    public void ReadSingle_FloatsAndIntegers_ReturnsValues()
    {
        var reader = new MessagePackReader(Convert.FromHexString("ca3fc00000" + "cb3ff8000000000000" + "cd0100"));
        Assert.Equal(1.5f, reader.ReadSingle());
        Assert.Equal(1.5f, reader.ReadSingle());
        Assert.Equal(256f, reader.ReadSingle());
    }

    [Theory]
    [InlineData("a161")]
    [InlineData("c0")]
    [InlineData("c3")]
    public void ReadDouble_NotANumber_Throws(string hex)
    {
        Assert.Equal(0, AssertFails(hex, (ref MessagePackReader r) => r.ReadDouble()).Offset);
    }

    [Fact]
    public void ReadBoolean_TrueAndFalse_ReturnsValues()
    {
        var reader = new MessagePackReader([0xc3, 0xc2]);
        Assert.True(reader.ReadBoolean());
        Assert.False(reader.ReadBoolean());
        Assert.Equal(0, AssertFails("01", (ref MessagePackReader r) => r.ReadBoolean()).Offset);
    }

    [Fact]
    public void TryReadNil_NilThenValue_ConsumesOnlyNil()
    {
        var reader = new MessagePackReader([0xc0, 0x01]);
        Assert.True(reader.TryReadNil());
        Assert.False(reader.TryReadNil());
        Assert.Equal(1, reader.Position);
        Assert.Equal(1, reader.ReadInt32());
        Assert.True(reader.End);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(31)]
    [InlineData(32)]
    [InlineData(255)]
    [InlineData(256)]
    [InlineData(65535)]
    [InlineData(65536)]
    public void ReadString_EveryHeaderWidth_RoundTrips(int length)
    {
        string value = new string('é', length / 2) + new string('x', length % 2);
        byte[] data = Encode(b =>
        {
            var w = new MessagePackWriter(b);
            w.WriteString(value);
            w.WriteBinary(System.Text.Encoding.UTF8.GetBytes(value));
            w.Flush();
        });

        var reader = new MessagePackReader(data);
        Assert.Equal(value, reader.ReadString());
        Assert.Equal(value, reader.ReadString());
        Assert.True(reader.End);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(255)]
    [InlineData(256)]
    [InlineData(65535)]
    [InlineData(65536)]
    public void ReadBytesSpan_BinAndStr_ReturnsSliceOfInput(int length)
    {
        byte[] value = new byte[length];
        Random.Shared.NextBytes(value);
        byte[] data = Encode(b =>
        {
            var w = new MessagePackWriter(b);
            w.WriteBinary(value);
            w.WriteStringUtf8(value);
            w.Flush();
        });

        var reader = new MessagePackReader(data);
        Assert.True(reader.ReadBytesSpan().SequenceEqual(value));
        Assert.True(reader.ReadStringSpan().SequenceEqual(value));
        Assert.True(reader.End);
    }

    [Fact]
    public void ReadString_Nil_ReturnsNull()
    {
        var reader = new MessagePackReader([0xc0]);
        Assert.Null(reader.ReadString());
    }

    [Theory]
    [InlineData("a56162")]
    [InlineData("d905616263")]
    [InlineData("da0005616263")]
    [InlineData("db00000005616263")]
    [InlineData("c40461")]
    [InlineData("c5ffff")]
    [InlineData("c6ffffffff00")]
    [InlineData("dbffffffff")]
    [InlineData("d9")]
    public void ReadStringSpan_LengthBeyondInput_Throws(string hex)
    {
        MessagePackFormatException ex = AssertFails(hex, (ref MessagePackReader r) => r.ReadStringSpan());
        Assert.InRange(ex.Offset, 0, hex.Length / 2);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(15)]
    [InlineData(16)]
    [InlineData(65535)]
    [InlineData(65536)]
    public void ReadArrayAndMapHeader_EveryHeaderWidth_ReturnsCount(int count)
    {
        byte[] data = Encode(b =>
        {
            var w = new MessagePackWriter(b);
            w.WriteArrayHeader(count);
            for (int i = 0; i < count; i++)
            {
                w.WriteNil();
            }

            w.WriteMapHeader(count);
            for (int i = 0; i < count; i++)
            {
                w.WriteInt32(i & 0x7f);
                w.WriteNil();
            }

            w.Flush();
        });

        var reader = new MessagePackReader(data);
        Assert.Equal(count, reader.ReadArrayHeader());
        for (int i = 0; i < count; i++)
        {
            reader.ReadNil();
        }

        Assert.Equal(count, reader.ReadMapHeader());
        for (int i = 0; i < count; i++)
        {
            Assert.Equal(i & 0x7f, reader.ReadInt32());
            reader.ReadNil();
        }

        Assert.True(reader.End);
    }

    [Theory]
    [InlineData("dc0003c0c0")]
    [InlineData("ddffffffff")]
    [InlineData("dd0000000200")]
    [InlineData("93c0c0")]
    public void ReadArrayHeader_CountBeyondRemainingBytes_Throws(string hex)
    {
        Assert.Equal(0, AssertFails(hex, (ref MessagePackReader r) => r.ReadArrayHeader()).Offset);
    }

    [Theory]
    [InlineData("8101")]
    [InlineData("de0002010101")]
    [InlineData("dfffffffff")]
    public void ReadMapHeader_CountBeyondRemainingBytes_Throws(string hex)
    {
        Assert.Equal(0, AssertFails(hex, (ref MessagePackReader r) => r.ReadMapHeader()).Offset);
    }

    [Theory]
    [InlineData("d40501", 5, 1)]
    [InlineData("d5050102", 5, 2)]
    [InlineData("d6ff01020304", -1, 4)]
    [InlineData("d7050102030405060708", 5, 8)]
    [InlineData("d80500000000000000000000000000000000", 5, 16)]
    [InlineData("c70005", 5, 0)]
    [InlineData("c7030a010203", 10, 3)]
    [InlineData("c8000380010203", -128, 3)]
    [InlineData("c9000000037f010203", 127, 3)]
    public void ReadExtensionHeader_EveryForm_ReturnsTypeAndLength(string hex, int type, int length)
    {
        var reader = new MessagePackReader(Convert.FromHexString(hex));
        MessagePackExtensionHeader header = reader.ReadExtensionHeader();

        Assert.Equal(new MessagePackExtensionHeader((sbyte)type, length), header);
        Assert.Equal(length, reader.ReadRaw(header.Length).Length);
        Assert.True(reader.End);
    }

    [Theory]
    [InlineData("d705010203")]
    [InlineData("c7050501")]
    [InlineData("c9ffffffff05")]
    [InlineData("d4")]
    public void ReadExtensionHeader_Truncated_Throws(string hex)
    {
        AssertFails(hex, (ref MessagePackReader r) => r.ReadExtensionHeader());
    }

    [Theory]
    [InlineData("d6ff6553f100", 1700000000L, 0)]
    [InlineData("d7ff773594006553f100", 1700000000L, 500_000_000)]
    [InlineData("d7ff0000000100000000", 4294967296L, 0)]
    [InlineData("c70cff00000000fffffff1886e0900", -62135596800L, 0)]
    [InlineData("c70cff1dcd6500ffffffffffffffff", -1L, 500_000_000)]
    [InlineData("c70cff000000000000003afff4417f", 253402300799L, 0)]
    [InlineData("d7ff0000006400000000", 0L, 0)]
    public void ReadTimestamp_EveryForm_ReturnsInstantTruncatedToTicks(string hex, long seconds, int nanoseconds)
    {
        var reader = new MessagePackReader(Convert.FromHexString(hex));
        DateTimeOffset value = reader.ReadTimestamp();

        Assert.Equal(DateTimeOffset.UnixEpoch.AddSeconds(seconds).AddTicks(nanoseconds / 100), value);
        Assert.Equal(TimeSpan.Zero, value.Offset);
        Assert.True(reader.End);
    }

    [Theory]
    [InlineData("d6fe6553f100")]
    [InlineData("d5ff0001")]
    [InlineData("c705ff0102030405")]
    [InlineData("d7ffee6b280000000001")]
    [InlineData("c70cff3b9aca000000000000000000")]
    [InlineData("c70cff000000000000003afff44180")]
    [InlineData("c70cff00000000fffffff1886e08ff")]
    [InlineData("c70cff000000008000000000000000")]
    [InlineData("01")]
    public void ReadTimestamp_Invalid_Throws(string hex)
    {
        Assert.Equal(0, AssertFails(hex, (ref MessagePackReader r) => r.ReadTimestamp()).Offset);
    }

    [Theory]
    [InlineData("c0", MessagePackType.Nil)]
    [InlineData("c2", MessagePackType.Boolean)]
    [InlineData("c3", MessagePackType.Boolean)]
    [InlineData("00", MessagePackType.Integer)]
    [InlineData("7f", MessagePackType.Integer)]
    [InlineData("e0", MessagePackType.Integer)]
    [InlineData("cc", MessagePackType.Integer)]
    [InlineData("d3", MessagePackType.Integer)]
    [InlineData("ca", MessagePackType.Float)]
    [InlineData("cb", MessagePackType.Float)]
    [InlineData("a0", MessagePackType.String)]
    [InlineData("bf", MessagePackType.String)]
    [InlineData("d9", MessagePackType.String)]
    [InlineData("db", MessagePackType.String)]
    [InlineData("c4", MessagePackType.Binary)]
    [InlineData("c6", MessagePackType.Binary)]
    [InlineData("90", MessagePackType.Array)]
    [InlineData("dd", MessagePackType.Array)]
    [InlineData("80", MessagePackType.Map)]
    [InlineData("df", MessagePackType.Map)]
    [InlineData("d4", MessagePackType.Extension)]
    [InlineData("d8", MessagePackType.Extension)]
    [InlineData("c7", MessagePackType.Extension)]
    [InlineData("c9", MessagePackType.Extension)]
    public void PeekType_EachFormatByte_ReturnsFamilyWithoutConsuming(string hex, MessagePackType expected)
    {
        var reader = new MessagePackReader(Convert.FromHexString(hex));
        Assert.Equal(expected, reader.PeekType());
        Assert.Equal(0, reader.Position);
    }

    [Fact]
    public void NeverUsedByte_AnyRead_Throws()
    {
        Assert.Equal(0, AssertFails("c1", (ref MessagePackReader r) => r.PeekType()).Offset);
        Assert.Equal(1, AssertFails("91c1", (ref MessagePackReader r) => r.Skip()).Offset);
        Assert.Equal(0, AssertFails("c1", (ref MessagePackReader r) => r.ReadInt64()).Offset);
        Assert.Equal(0, AssertFails("c1", (ref MessagePackReader r) => r.ReadString()).Offset);
    }

    [Fact]
    public void EmptyInput_AnyRead_ThrowsAtOffsetZero()
    {
        Assert.Equal(0, AssertFails(string.Empty, (ref MessagePackReader r) => r.PeekType()).Offset);
        Assert.Equal(0, AssertFails(string.Empty, (ref MessagePackReader r) => r.ReadInt64()).Offset);
        Assert.Equal(0, AssertFails(string.Empty, (ref MessagePackReader r) => r.TryReadNil()).Offset);
        Assert.Equal(0, AssertFails(string.Empty, (ref MessagePackReader r) => r.Skip()).Offset);
    }

    [Fact]
    public void Truncated_FixedWidthValue_ThrowsAtMissingByte()
    {
        Assert.Equal(1, AssertFails("cd01", (ref MessagePackReader r) => r.ReadInt32()).Offset);
        Assert.Equal(1, AssertFails("cb3ff8", (ref MessagePackReader r) => r.ReadDouble()).Offset);
        Assert.Equal(1, AssertFails("cb3ff8", (ref MessagePackReader r) => r.Skip()).Offset);
    }

    [Fact]
    public void Skip_EveryFamily_MovesPastWholeValue()
    {
        string value = "82" + "a161" + "93" + "01" + "cb3ff8000000000000" + "c403010203" + "a162" + "81" + "c0" + "d6ff6553f100";
        var reader = new MessagePackReader(Convert.FromHexString(value + "2a"));

        reader.Skip();

        Assert.Equal(value.Length / 2, reader.Position);
        Assert.Equal(42, reader.ReadInt32());
    }

    [Fact]
    public void Skip_HostileNesting_DoesNotOverflowStack()
    {
        byte[] data = new byte[1_000_001];
        data.AsSpan(0, 1_000_000).Fill(0x91);
        data[^1] = 0x01;

        var reader = new MessagePackReader(data);
        reader.Skip();

        Assert.True(reader.End);
    }

    [Fact]
    public void Skip_TruncatedNesting_Throws()
    {
        byte[] data = new byte[10_000];
        data.AsSpan().Fill(0x91);

        MessagePackFormatException ex = Assert.Throws<MessagePackFormatException>(() =>
        {
            var reader = new MessagePackReader(data);
            reader.Skip();
        });

        Assert.True(ex.Offset >= data.Length - 2, $"offset {ex.Offset}");
    }

    [Fact]
    public void ReadRaw_BeyondInput_Throws()
    {
        Assert.Equal(1, AssertFails("0102", (ref MessagePackReader r) =>
        {
            r.ReadRaw(1);
            r.ReadRaw(2);
        }).Offset);
    }
}
