using System.Buffers;
using FsCheck;
using FsCheck.Fluent;
using HybridCaching.Serialization;
using MessagePack;
using MessagePack.Resolvers;

namespace HybridCaching.Tests.Serialization;

/// <summary>
/// Top-level <see cref="int"/> and <see cref="long"/>: the bytes MessagePack-CSharp writes, every integer encoding Go or
/// MessagePack-CSharp writes read back, anything else a <see cref="MessagePackSerializationException"/>.
/// </summary>
public class MessagePackIntegerTests
{
    private static readonly MessagePackCacheSerializer Serializer = MessagePackCacheSerializer.Default;

    private static readonly Config Config = Config.QuickThrowOnFailure.WithMaxTest(2000).WithQuietOnSuccess(true);

    public static TheoryData<long> Boundaries => new()
    {
        0, 1, 127, 128, 255, 256, 65535, 65536, int.MaxValue, (long)int.MaxValue + 1, uint.MaxValue, (long)uint.MaxValue + 1, long.MaxValue,
        -1, -32, -33, -128, -129, -32768, -32769, int.MinValue, (long)int.MinValue - 1, long.MinValue,
    };

    [Theory]
    [MemberData(nameof(Boundaries))]
    public void Serialize_Boundaries_WritesWhatMessagePackCSharpWrites(long value)
    {
        Assert.Equal(MessagePackSerializer.Serialize(value), Serializer.Serialize(value));
        Assert.Equal(MessagePackSerializer.Serialize(value), SerializeToBufferWriter(value));
        if (value is >= int.MinValue and <= int.MaxValue)
        {
            Assert.Equal(MessagePackSerializer.Serialize((int)value), Serializer.Serialize((int)value));
            Assert.Equal(MessagePackSerializer.Serialize((int)value), SerializeToBufferWriter((int)value));
        }
    }

    [Fact]
    public void RoundTrip_AnyInt32OrInt64_SameBytesAsMessagePackCSharpAndSameValue()
    {
        Check.One(Config, Prop.ForAll(ArbMap.Default.ArbFor<long>(), (long value) =>
            Serializer.Serialize(value).AsSpan().SequenceEqual(MessagePackSerializer.Serialize(value))
            && Serializer.Deserialize<long>(Serializer.Serialize(value)) == value));
        Check.One(Config, Prop.ForAll(ArbMap.Default.ArbFor<int>(), (int value) =>
            Serializer.Serialize(value).AsSpan().SequenceEqual(MessagePackSerializer.Serialize(value))
            && Serializer.Deserialize<int>(Serializer.Serialize(value)) == value));
    }

    [Theory]
    [InlineData("cc05", 5)] // uint8 (Go writes small unsigned values this way too)
    [InlineData("cd0005", 5)]
    [InlineData("ce00000005", 5)]
    [InlineData("cf0000000000000005", 5)]
    [InlineData("d0fb", -5)]
    [InlineData("d1fffb", -5)]
    [InlineData("d2fffffffb", -5)]
    [InlineData("d3fffffffffffffffb", -5)]
    [InlineData("d305", null)] // truncated
    [InlineData("", null)]
    [InlineData("c0", null)] // nil
    [InlineData("a135", null)] // a string
    [InlineData("cb4014000000000000", null)] // a double
    [InlineData("0505", null)] // trailing byte
    [InlineData("ce80000000", null)] // 2^31 does not fit int
    [InlineData("d3ffffffff7fffffff", null)] // below int.MinValue
    public void Deserialize_Int32_EveryEncodingReadAsMessagePackCSharpReadsIt(string hex, int? expected)
    {
        byte[] data = Convert.FromHexString(hex);
        int? reference = TryReference<int>(data);
        Assert.Equal(expected, reference); // the case states what MessagePack-CSharp itself does
        if (expected is int value)
        {
            Assert.Equal(value, Serializer.Deserialize<int>(data));
        }
        else
        {
            Assert.Throws<MessagePackSerializationException>(() => Serializer.Deserialize<int>(data));
        }
    }

    [Theory]
    [InlineData("cfffffffffffffffff")] // 2^64 - 1 does not fit long
    [InlineData("cf")]
    [InlineData("c3")] // true
    public void Deserialize_Int64_InvalidInput_ThrowsMessagePackSerializationException(string hex)
    {
        byte[] data = Convert.FromHexString(hex);
        Assert.Null(TryReference<long>(data));
        Assert.Throws<MessagePackSerializationException>(() => Serializer.Deserialize<long>(data));
    }

    [Fact]
    public void Serialize_CustomInt32Formatter_IsUsed()
    {
        var options = MessagePackSerializerOptions.Standard.WithResolver(
            CompositeResolver.Create([new AsStringFormatter()], [StandardResolver.Instance]));
        var serializer = new MessagePackCacheSerializer(options);

        byte[] bytes = serializer.Serialize(42);

        Assert.Equal(Convert.FromHexString("a23432"), bytes); // "42"
        Assert.Equal(42, serializer.Deserialize<int>(bytes));
    }

    private static byte[] SerializeToBufferWriter<T>(T value)
    {
        var buffer = new ArrayBufferWriter<byte>();
        Serializer.Serialize(value, buffer);
        return buffer.WrittenSpan.ToArray();
    }

    private static T? TryReference<T>(byte[] data)
        where T : struct
    {
        try
        {
            T value = MessagePackSerializer.Deserialize<T>(data, MessagePackCacheSerializer.DefaultOptions, out int read);
            return read == data.Length ? value : null;
        }
        catch (MessagePackSerializationException)
        {
            return null;
        }
    }

    private sealed class AsStringFormatter : MessagePack.Formatters.IMessagePackFormatter<int>
    {
        public void Serialize(ref MessagePackWriter writer, int value, MessagePackSerializerOptions options)
            => writer.Write(value.ToString(System.Globalization.CultureInfo.InvariantCulture));

        public int Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
            => int.Parse(reader.ReadString()!, System.Globalization.CultureInfo.InvariantCulture);
    }
}
