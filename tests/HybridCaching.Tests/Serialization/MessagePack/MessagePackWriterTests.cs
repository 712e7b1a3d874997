using System.Buffers;
using HybridCaching.Serialization.MessagePack;

namespace HybridCaching.Tests.Serialization.MessagePack;

public class MessagePackWriterTests
{
    private delegate void WriteAction(ref MessagePackWriter writer);

    private static string Write(WriteAction action)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(buffer);
        action(ref writer);
        writer.Flush();
        return Convert.ToHexStringLower(buffer.WrittenSpan);
    }

    [Theory]
    [InlineData(0L, "00")]
    [InlineData(1L, "01")]
    [InlineData(127L, "7f")]
    [InlineData(128L, "cc80")]
    [InlineData(255L, "ccff")]
    [InlineData(256L, "cd0100")]
    [InlineData(65535L, "cdffff")]
    [InlineData(65536L, "ce00010000")]
    [InlineData(4294967295L, "ceffffffff")]
    [InlineData(4294967296L, "cf0000000100000000")]
    [InlineData(long.MaxValue, "cf7fffffffffffffff")]
    [InlineData(-1L, "ff")]
    [InlineData(-32L, "e0")]
    [InlineData(-33L, "d0df")]
    [InlineData(-128L, "d080")]
    [InlineData(-129L, "d1ff7f")]
    [InlineData(-32768L, "d18000")]
    [InlineData(-32769L, "d2ffff7fff")]
    [InlineData(-2147483648L, "d280000000")]
    [InlineData(-2147483649L, "d3ffffffff7fffffff")]
    [InlineData(long.MinValue, "d38000000000000000")]
    public void WriteInt64_Boundary_UsesSmallestForm(long value, string expected)
    {
        Assert.Equal(expected, Write((ref MessagePackWriter w) => w.WriteInt64(value)));
    }

    [Theory]
    [InlineData(0UL, "00")]
    [InlineData(127UL, "7f")]
    [InlineData(128UL, "cc80")]
    [InlineData(65536UL, "ce00010000")]
    [InlineData(ulong.MaxValue, "cfffffffffffffffff")]
    public void WriteUInt64_Boundary_UsesSmallestForm(ulong value, string expected)
    {
        Assert.Equal(expected, Write((ref MessagePackWriter w) => w.WriteUInt64(value)));
    }

    [Fact]
    public void WriteNarrowIntegers_AnyWidth_UseSmallestForm()
    {
        string hex = Write((ref MessagePackWriter w) =>
        {
            w.WriteByte(200);
            w.WriteSByte(-5);
            w.WriteInt16(300);
            w.WriteUInt16(7);
            w.WriteInt32(-40000);
            w.WriteUInt32(uint.MaxValue);
        });

        Assert.Equal("ccc8" + "fb" + "cd012c" + "07" + "d2ffff63c0" + "ceffffffff", hex);
    }

    [Fact]
    public void WriteNilAndBoolean_Always_UseSingleByte()
    {
        Assert.Equal("c0c3c2", Write((ref MessagePackWriter w) =>
        {
            w.WriteNil();
            w.WriteBoolean(true);
            w.WriteBoolean(false);
        }));
    }

    [Fact]
    public void WriteSingleAndDouble_Always_UseFloat32AndFloat64()
    {
        Assert.Equal("ca3fc00000" + "cb3ff8000000000000", Write((ref MessagePackWriter w) =>
        {
            w.WriteSingle(1.5f);
            w.WriteDouble(1.5);
        }));
    }

    [Theory]
    [InlineData(0, "a0")]
    [InlineData(1, "a1")]
    [InlineData(31, "bf")]
    [InlineData(32, "d920")]
    [InlineData(255, "d9ff")]
    [InlineData(256, "da0100")]
    [InlineData(65535, "daffff")]
    [InlineData(65536, "db00010000")]
    public void WriteString_LengthBoundary_UsesSmallestHeader(int length, string expectedHeader)
    {
        string value = new('x', length);
        string expected = expectedHeader + Convert.ToHexStringLower(System.Text.Encoding.UTF8.GetBytes(value));

        Assert.Equal(expected, Write((ref MessagePackWriter w) => w.WriteString(value)));
        Assert.Equal(expected, Write((ref MessagePackWriter w) => w.WriteString(value.AsSpan())));
        Assert.Equal(expected, Write((ref MessagePackWriter w) => w.WriteStringUtf8(System.Text.Encoding.UTF8.GetBytes(value))));
    }

    [Fact]
    public void WriteString_NonAscii_CountsUtf8Bytes()
    {
        Assert.Equal("a5c3a9e282ac", Write((ref MessagePackWriter w) => w.WriteString("é€")));
    }

    [Fact]
    public void WriteString_Null_WritesNil()
    {
        Assert.Equal("c0", Write((ref MessagePackWriter w) => w.WriteString((string?)null)));
    }

    [Theory]
    [InlineData(0, "c400")]
    [InlineData(255, "c4ff")]
    [InlineData(256, "c50100")]
    [InlineData(65535, "c5ffff")]
    [InlineData(65536, "c600010000")]
    public void WriteBinary_LengthBoundary_UsesSmallestHeader(int length, string expectedHeader)
    {
        byte[] value = new byte[length];
        Random.Shared.NextBytes(value);

        Assert.Equal(expectedHeader + Convert.ToHexStringLower(value), Write((ref MessagePackWriter w) => w.WriteBinary(value)));
    }

    [Theory]
    [InlineData(0, "90", "80")]
    [InlineData(15, "9f", "8f")]
    [InlineData(16, "dc0010", "de0010")]
    [InlineData(65535, "dcffff", "deffff")]
    [InlineData(65536, "dd00010000", "df00010000")]
    public void WriteArrayAndMapHeader_CountBoundary_UsesSmallestHeader(int count, string expectedArray, string expectedMap)
    {
        Assert.Equal(expectedArray, Write((ref MessagePackWriter w) => w.WriteArrayHeader(count)));
        Assert.Equal(expectedMap, Write((ref MessagePackWriter w) => w.WriteMapHeader(count)));
    }

    [Theory]
    [InlineData(1, "d405")]
    [InlineData(2, "d505")]
    [InlineData(4, "d605")]
    [InlineData(8, "d705")]
    [InlineData(16, "d805")]
    [InlineData(0, "c70005")]
    [InlineData(3, "c70305")]
    [InlineData(255, "c7ff05")]
    [InlineData(256, "c8010005")]
    [InlineData(65536, "c90001000005")]
    public void WriteExtensionHeader_Length_UsesFixExtOrSmallestExt(int length, string expected)
    {
        Assert.Equal(expected, Write((ref MessagePackWriter w) => w.WriteExtensionHeader(5, length)));
    }

    [Fact]
    public void WriteExtensionHeader_NegativeType_WritesTwosComplement()
    {
        Assert.Equal("c703ff010203", Write((ref MessagePackWriter w) =>
        {
            w.WriteExtensionHeader(-1, 3);
            w.WriteRaw([1, 2, 3]);
        }));
    }

    [Theory]
    [InlineData(1700000000L, 0, "d6ff6553f100")]
    [InlineData(1700000000L, 500_000_000, "d7ff773594006553f100")]
    [InlineData(0L, 0, "d6ff00000000")]
    [InlineData(4294967295L, 0, "d6ffffffffff")]
    [InlineData(4294967296L, 0, "d7ff0000000100000000")]
    [InlineData(17179869183L, 999_999_900, "d7ffee6b2673ffffffff")]
    [InlineData(17179869184L, 0, "c70cff000000000000000400000000")]
    [InlineData(-1L, 0, "c70cff00000000ffffffffffffffff")]
    [InlineData(-62135596800L, 0, "c70cff00000000fffffff1886e0900")]
    public void WriteTimestamp_Instant_UsesGoForm(long seconds, int nanoseconds, string expected)
    {
        DateTimeOffset value = DateTimeOffset.UnixEpoch.AddSeconds(seconds).AddTicks(nanoseconds / 100);

        Assert.Equal(expected, Write((ref MessagePackWriter w) => w.WriteTimestamp(value)));
    }

    [Fact]
    public void WriteTimestamp_OffsetOtherThanZero_WritesTheSameInstant()
    {
        var utc = new DateTimeOffset(2023, 11, 14, 22, 13, 20, TimeSpan.Zero);
        DateTimeOffset shifted = utc.ToOffset(TimeSpan.FromHours(5));

        Assert.Equal(Write((ref MessagePackWriter w) => w.WriteTimestamp(utc)), Write((ref MessagePackWriter w) => w.WriteTimestamp(shifted)));
    }

    [Fact]
    public void WriteRaw_LargerThanBuffer_CopiesEveryByte()
    {
        byte[] value = new byte[100_000];
        Random.Shared.NextBytes(value);

        string hex = Write((ref MessagePackWriter w) =>
        {
            w.WriteInt32(1);
            w.WriteRaw(value);
            w.WriteInt32(2);
        });

        Assert.Equal("01" + Convert.ToHexStringLower(value) + "02", hex);
    }

    [Fact]
    public void Flush_ManySmallWrites_CommitsAllInOrder()
    {
        var buffer = new ArrayBufferWriter<byte>(1);
        var writer = new MessagePackWriter(buffer);
        for (int i = 0; i < 10_000; i++)
        {
            writer.WriteInt32(i % 100);
        }

        writer.Flush();

        Assert.Equal(10_000, buffer.WrittenCount);
        Assert.Equal(99, buffer.WrittenSpan[^1]);
    }

    [Fact]
    public void WriteArrayHeader_NegativeCount_Throws()
    {
        var buffer = new ArrayBufferWriter<byte>();
        Assert.Throws<ArgumentOutOfRangeException>(() =>
        {
            var writer = new MessagePackWriter(buffer);
            writer.WriteArrayHeader(-1);
        });
    }
}
