using System.Text;
using HybridCaching.Redis.Client;

namespace HybridCaching.Redis.Tests.Client;

public sealed class RespReaderTests
{
    [Theory]
    [InlineData("+OK\r\n", RedisReplyType.SimpleString, "OK")]
    [InlineData("-ERR bad\r\n", RedisReplyType.Error, "ERR bad")]
    [InlineData(":-42\r\n", RedisReplyType.Integer, "-42")]
    [InlineData("$5\r\nhe\r\no\r\n", RedisReplyType.BulkString, "he\r\no")]
    [InlineData("$-1\r\n", RedisReplyType.Null, null)]
    [InlineData("*-1\r\n", RedisReplyType.Null, null)]
    [InlineData("_\r\n", RedisReplyType.Null, null)]
    [InlineData("#t\r\n", RedisReplyType.Boolean, "true")]
    [InlineData(",3.14\r\n", RedisReplyType.Double, "3.14")]
    [InlineData("(3492890328409238509324850943850943825024385\r\n", RedisReplyType.BigNumber, "3492890328409238509324850943850943825024385")]
    [InlineData("!21\r\nSYNTAX invalid syntax\r\n", RedisReplyType.Error, "SYNTAX invalid syntax")]
    [InlineData("=15\r\ntxt:Some string\r\n", RedisReplyType.BulkString, "Some string")]
    [InlineData("*2\r\n$1\r\na\r\n:1\r\n", RedisReplyType.Array, "Array[2]")]
    [InlineData("%1\r\n+k\r\n+v\r\n", RedisReplyType.Map, "Map[2]")]
    [InlineData("~1\r\n+k\r\n", RedisReplyType.Array, "Array[1]")]
    [InlineData(">2\r\n+invalidate\r\n*0\r\n", RedisReplyType.Push, "Push[2]")]
    [InlineData("|1\r\n+ttl\r\n:3600\r\n:7\r\n", RedisReplyType.Integer, "7")]
    public void TryParse_EveryType_ParsesAndConsumesExactly(string wire, RedisReplyType type, string? text)
    {
        var bytes = Encoding.UTF8.GetBytes(wire + "+next\r\n");

        Assert.True(RespReader.TryParse(bytes, out var reply, out var consumed, out _));

        Assert.Equal(type, reply.Type);
        Assert.Equal(text, reply.ToString());
        Assert.Equal(Encoding.UTF8.GetByteCount(wire), consumed);
    }

    [Fact]
    public void TryParse_EveryPrefixOfAReply_IsIncompleteAndNeedsMore()
    {
        var wire = Encoding.UTF8.GetBytes("*3\r\n$3\r\nabc\r\n%1\r\n+k\r\n$10\r\n0123456789\r\n:5\r\n");
        for (var length = 0; length < wire.Length; length++)
        {
            Assert.False(RespReader.TryParse(wire.AsSpan(0, length), out _, out _, out var needed));
            Assert.InRange(needed, length + 1, wire.Length);
        }

        Assert.True(RespReader.TryParse(wire, out var reply, out var consumed, out _));
        Assert.Equal(wire.Length, consumed);
        Assert.Equal("0123456789", reply.Items[1].Items[1].ToString());
    }

    [Fact]
    public void TryParse_LargeBulkHeader_AsksForTheWholeStringAtOnce()
    {
        var header = Encoding.ASCII.GetBytes("$1000000\r\n");

        Assert.False(RespReader.TryParse(header, out _, out _, out var needed));

        Assert.Equal(header.Length + 1_000_000 + 2, needed);
    }

    [Theory]
    [InlineData("*16000000\r\n")]
    [InlineData("%8000000\r\n")]
    [InlineData("*1\r\n*16000000\r\n")]
    public void TryParse_HugeAggregateHeaderWithoutItems_NeedsMoreWithoutAllocatingTheItems(string wire)
    {
        var bytes = Encoding.ASCII.GetBytes(wire);
        var before = GC.GetAllocatedBytesForCurrentThread();

        Assert.False(RespReader.TryParse(bytes, out _, out _, out var needed));

        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1024 * 1024, "allocated for items that have not arrived");
        Assert.True(needed >= bytes.Length + (16_000_000 * 3), $"needed {needed}: at least 3 bytes per element are still to come");
    }

    [Theory]
    [InlineData("?x\r\n")]
    [InlineData("$3\r\nabcXY")]
    [InlineData(":12a\r\n")]
    [InlineData("+no-cr\n")]
    [InlineData("$999999999999\r\n")]
    [InlineData("*99999999999\r\n")]
    public void TryParse_Malformed_ThrowsProtocolException(string wire)
        => Assert.Throws<RedisProtocolException>(() => RespReader.TryParse(Encoding.ASCII.GetBytes(wire), out _, out _, out _));

    [Theory]
    [InlineData("+")]
    [InlineData("-")]
    [InlineData(":")]
    [InlineData(",")]
    [InlineData("(")]
    [InlineData("$")]
    [InlineData("*")]
    [InlineData("*1\r\n+")]
    [InlineData("%1\r\n+k\r\n-")]
    public void TryParse_LineWithoutCrlfPastTheLimit_ThrowsProtocolExceptionInsteadOfAskingForMore(string start)
    {
        var head = Encoding.ASCII.GetBytes(start);
        var lineStart = head.Length - 1;
        var bytes = head.Concat(Enumerable.Repeat((byte)'1', RespReader.MaxLineLength + 1)).ToArray();

        // Up to the longest line plus its CRLF, the end may still come...
        Assert.False(RespReader.TryParse(bytes.AsSpan(0, lineStart + RespReader.MaxLineLength + 1), out _, out _, out _));

        // ...one byte later it cannot: the reader must not keep buffering a line that never ends.
        var error = Assert.Throws<RedisProtocolException>(() => RespReader.TryParse(bytes, out _, out _, out _));
        Assert.Contains(RespReader.MaxLineLength.ToString(System.Globalization.CultureInfo.InvariantCulture), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_LineAtTheLimit_ParsesAndOnePastItThrows()
    {
        var longest = "+" + new string('a', RespReader.MaxLineLength - 1);

        Assert.True(RespReader.TryParse(Encoding.ASCII.GetBytes(longest + "\r\n"), out var reply, out var consumed, out _));
        Assert.Equal(RespReader.MaxLineLength - 1, reply.ToString()!.Length);
        Assert.Equal(RespReader.MaxLineLength + 2, consumed);

        // The same limit whether or not the CRLF has arrived, so it does not depend on how the bytes were chunked.
        Assert.Throws<RedisProtocolException>(() => RespReader.TryParse(Encoding.ASCII.GetBytes(longest + "a\r\n"), out _, out _, out _));
    }

    [Fact]
    public void TryParse_BulkStringLongerThanTheLineLimit_Parses()
    {
        var payload = new string('b', (4 * RespReader.MaxLineLength) + 3);
        var wire = Encoding.ASCII.GetBytes($"*1\r\n${payload.Length}\r\n{payload}\r\n");

        Assert.True(RespReader.TryParse(wire, out var reply, out var consumed, out _));
        Assert.Equal(payload, reply.Items[0].ToString());
        Assert.Equal(wire.Length, consumed);
    }

    [Fact]
    public void TryParse_RandomBytes_NeverThrowsAnythingButProtocolException()
    {
        var random = new Random(1234);
        for (var i = 0; i < 20_000; i++)
        {
            var data = new byte[random.Next(1, 40)];
            random.NextBytes(data);
            data[0] = "+-:$*_,#!=(%~>|"u8[random.Next(15)];
            try
            {
                RespReader.TryParse(data, out _, out var consumed, out var needed);
                Assert.InRange(consumed, 0, data.Length);
            }
            catch (RedisProtocolException)
            {
            }
        }
    }
}
