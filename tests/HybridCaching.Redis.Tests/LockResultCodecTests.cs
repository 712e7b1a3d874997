using FsCheck;
using FsCheck.Fluent;
using MessagePack;

namespace HybridCaching.Redis.Tests;

/// <summary>The lock result <c>{Res, Err}</c> of SPEC §6, byte for byte, on MessagePack-CSharp's reader and writer.</summary>
public class LockResultCodecTests
{
    [Theory]
    [InlineData("x", null, "81a3526573c40178")]
    [InlineData("x", LockResultCodec.NoCacheError, "82a3526573c40178a3457272b568796272696463616368653a206e6f206361636865")]
    [InlineData(null, "boom", "81a3457272a4626f6f6d")]
    [InlineData(null, null, "80")]
    public void Encode_GoVectors_MatchGoBytes(string? value, string? error, string expectedHex)
    {
        byte[] encoded = LockResultCodec.Encode(value is null ? null : System.Text.Encoding.UTF8.GetBytes(value), error);

        Assert.Equal(expectedHex, Convert.ToHexStringLower(encoded));
        (byte[]? decodedValue, string? decodedError) = LockResultCodec.Decode(encoded);
        Assert.Equal(value, decodedValue is null ? null : System.Text.Encoding.UTF8.GetString(decodedValue));
        Assert.Equal(error, decodedError);
    }

    [Fact]
    public void Decode_StrForBinAndUnknownFields_Accepted()
    {
        // {Res: "x" as str, Other: [1], Err: nil}: Go reads str and bin interchangeably.
        (byte[]? value, string? error) = LockResultCodec.Decode(Convert.FromHexString("83a3526573a178a54f74686572910" + "1a3457272c0"));

        Assert.Equal("x"u8.ToArray(), value);
        Assert.Null(error);
    }

    [Theory]
    [InlineData("")]
    [InlineData("81")]
    [InlineData("81a3526573")]
    [InlineData("81a3526573c405")]
    [InlineData("8101c0")]
    [InlineData("81a3526573dbffffffff")]
    [InlineData("c1")]
    public void Decode_Malformed_ThrowsSerializationException(string hex)
    {
        Assert.Throws<MessagePackSerializationException>(() => LockResultCodec.Decode(Convert.FromHexString(hex)));
    }

    [Fact]
    public void Decode_ArbitraryBytes_ResultOrSerializationExceptionOnly()
    {
        // What another server (or anything else) left under a lock key must never crash a waiting race.
        var stored = Gen.Zip(Gen.Elements<byte>(0x80, 0x81, 0x82, 0x83, 0xde), ArbMap.Default.GeneratorFor<byte[]>())
            .Select(t => new[] { t.Item1 }.Concat(t.Item2 ?? []).ToArray());
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(2000).WithQuietOnSuccess(true), Prop.ForAll(stored.ToArbitrary(), data =>
        {
            try
            {
                LockResultCodec.Decode(data);
            }
            catch (MessagePackSerializationException)
            {
            }
        }));
    }
}
