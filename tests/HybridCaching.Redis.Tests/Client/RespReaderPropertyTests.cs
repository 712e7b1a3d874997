using System.Globalization;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using HybridCaching.Redis.Client;

namespace HybridCaching.Redis.Tests.Client;

/// <summary>
/// FsCheck properties of <see cref="RespReader"/>, run from plain xunit facts (FsCheck.Xunit does not restore here):
/// generated RESP2/RESP3 replies round-trip, whole or split at any point, and arbitrary bytes end in a reply, a request
/// for more bytes or <see cref="RedisProtocolException"/> — nothing else.
/// </summary>
public sealed class RespReaderPropertyTests
{
    private static readonly Config Config = Config.QuickThrowOnFailure.WithMaxTest(300).WithQuietOnSuccess(true);

    private static readonly byte[] TypeBytes = "+-:$*_,#!=(%~>|"u8.ToArray();

    private static readonly Gen<string> Line = Gen.Elements(
        "abcdefghijklmnopqrstuvwxyz ABCXYZ0123456789:-_.!?é€\t".ToCharArray()).ArrayOf().Select(chars => new string(chars));

    private static readonly Gen<byte[]> Bytes = ArbMap.Default.GeneratorFor<byte[]>().Select(b => b ?? [])
        .Or(Gen.Constant("\r\n$-1\r\n*2\r\n"u8.ToArray()));

    private static readonly Gen<Resp> Replies = Gen.Sized(size => Tree(Math.Min(size, 12)));

    [Fact]
    public void TryParse_GeneratedReply_RoundTripsAndConsumesExactlyItsBytes()
    {
        Check.One(Config, Prop.ForAll(Replies.ToArbitrary(), reply =>
        {
            var wire = reply.Encode();
            var buffer = wire.Concat("+next\r\n"u8.ToArray()).ToArray();

            Assert.True(RespReader.TryParse(buffer, out var parsed, out var consumed, out _));
            Assert.Equal(wire.Length, consumed);
            reply.AssertMatches(parsed);
        }));
    }

    [Fact]
    public void TryParse_GeneratedReplyCutAtEveryLength_AsksForMoreWithinItsSize()
    {
        Check.One(Config, Prop.ForAll(Replies.ToArbitrary(), reply =>
        {
            var wire = reply.Encode();
            for (var length = 0; length < wire.Length; length++)
            {
                Assert.False(RespReader.TryParse(wire.AsSpan(0, length), out _, out _, out var needed));

                // "needed" is a lower bound: never past the end of the reply, always past what is there.
                Assert.InRange(needed, length + 1, wire.Length);
            }
        }));
    }

    [Fact]
    public void TryParse_RepliesArrivingInArbitraryChunks_ParsedInOrderAsTheReaderFeedsThem()
    {
        var input = Gen.Zip(Replies.ArrayOf().Select(r => r.Take(6).ToArray()), Gen.Choose(1, 64).ArrayOf().Select(c => c.Length == 0 ? [1] : c));
        Check.One(Config, Prop.ForAll(input.ToArbitrary(), tuple =>
        {
            var (replies, chunks) = tuple;
            var wire = replies.SelectMany(r => r.Encode()).ToArray();
            var parsed = new List<RedisReply>();
            var received = new List<byte>();
            var start = 0;
            var needed = 1;
            var offset = 0;
            for (var i = 0; offset < wire.Length; i++)
            {
                // Like the connection's reader: append what one socket read returned, parse only once "needed" bytes are in.
                var chunk = Math.Min(chunks[i % chunks.Length], wire.Length - offset);
                received.AddRange(wire.AsSpan(offset, chunk));
                offset += chunk;
                while (received.Count - start >= needed)
                {
                    if (!RespReader.TryParse(received.ToArray().AsSpan(start), out var reply, out var consumed, out var more))
                    {
                        needed = more;
                        break;
                    }

                    parsed.Add(reply);
                    start += consumed;
                    needed = 1;
                }
            }

            Assert.Equal(wire.Length, start);
            Assert.Equal(replies.Length, parsed.Count);
            for (var i = 0; i < replies.Length; i++)
            {
                replies[i].AssertMatches(parsed[i]);
            }
        }));
    }

    [Fact]
    public void TryParse_ArbitraryBytes_ReplyOrNeedMoreOrProtocolExceptionOnly()
    {
        var garbage = Gen.Zip(Gen.Elements(TypeBytes), ArbMap.Default.GeneratorFor<byte[]>())
            .Select(t => new[] { t.Item1 }.Concat(t.Item2 ?? []).ToArray())
            .Or(ArbMap.Default.GeneratorFor<byte[]>().Select(b => b ?? []));
        Check.One(Config.WithMaxTest(2000), Prop.ForAll(garbage.ToArbitrary(), AssertParsesOrRejects));
    }

    [Fact]
    public void TryParse_ValidReplyWithOneByteChanged_ReplyOrNeedMoreOrProtocolExceptionOnly()
    {
        var mutated = Gen.Zip(Replies, Gen.Zip(Gen.Choose(0, int.MaxValue), ArbMap.Default.GeneratorFor<byte>())).Select(t =>
        {
            var wire = t.Item1.Encode();
            wire[t.Item2.Item1 % wire.Length] = t.Item2.Item2;
            return wire;
        });
        Check.One(Config.WithMaxTest(2000), Prop.ForAll(mutated.ToArbitrary(), AssertParsesOrRejects));
    }

    private static void AssertParsesOrRejects(byte[] data)
    {
        try
        {
            if (RespReader.TryParse(data, out _, out var consumed, out var needed))
            {
                Assert.InRange(consumed, 1, data.Length);
            }
            else
            {
                Assert.True(needed > data.Length, $"needed {needed} of {data.Length} bytes: no progress possible");
            }
        }
        catch (RedisProtocolException)
        {
        }
    }

    private static Gen<Resp> Tree(int size)
    {
        var leaf = Gen.OneOf(
            Line.Select(text => Resp.Text('+', RedisReplyType.SimpleString, text)),
            Line.Select(text => Resp.Text('-', RedisReplyType.Error, text)),
            ArbMap.Default.GeneratorFor<long>().Select(Resp.Integer),
            Bytes.Select(Resp.Bulk),
            Gen.Elements("$-1", "*-1", "_").Select(Resp.Null),
            ArbMap.Default.GeneratorFor<double>().Select(Resp.Double),
            ArbMap.Default.GeneratorFor<bool>().Select(Resp.Boolean),
            ArbMap.Default.GeneratorFor<ulong>().Select(n => Resp.Text('(', RedisReplyType.BigNumber, n.ToString(CultureInfo.InvariantCulture) + "0000000000000000000")),
            Bytes.Select(Resp.BlobError),
            Gen.Zip(Gen.Elements("txt", "mkd"), Bytes).Select(t => Resp.Verbatim(t.Item1, t.Item2)));
        if (size <= 1)
        {
            return leaf;
        }

        var child = Tree(size / 2);
        var children = Gen.Choose(0, 4).SelectMany(n => child.ArrayOf(n));
        var aggregate = Gen.OneOf(
            children.Select(items => Resp.Aggregate('*', RedisReplyType.Array, items)),
            children.Select(items => Resp.Aggregate('~', RedisReplyType.Array, items)),
            children.Select(items => Resp.Aggregate('>', RedisReplyType.Push, items)),
            children.Select(items => Resp.Aggregate('%', RedisReplyType.Map, items.Length % 2 == 0 ? items : items[..^1])));
        var plain = Gen.Frequency((3, leaf), (2, aggregate));

        // An attribute (|) before a reply annotates it; the parser skips it and returns the reply.
        return Gen.Frequency(
            (5, plain),
            (1, Gen.Zip(children, plain).Select(t => t.Item2.WithAttribute(t.Item1.Length % 2 == 0 ? t.Item1 : t.Item1[..^1]))));
    }

    /// <summary>A generated reply: its wire form and the <see cref="RedisReply"/> it must parse to.</summary>
    private sealed class Resp
    {
        private readonly byte[] _wire;
        private readonly RedisReplyType _type;
        private readonly byte[]? _bytes;
        private readonly long _integer;
        private readonly Resp[] _items;

        private Resp(byte[] wire, RedisReplyType type, byte[]? bytes = null, long integer = 0, Resp[]? items = null)
        {
            _wire = wire;
            _type = type;
            _bytes = bytes;
            _integer = integer;
            _items = items ?? [];
        }

        public static Resp Text(char prefix, RedisReplyType type, string text)
            => new(Encoding.UTF8.GetBytes($"{prefix}{text}\r\n"), type, Encoding.UTF8.GetBytes(text));

        public static Resp Integer(long value) => new(Ascii($":{value.ToString(CultureInfo.InvariantCulture)}\r\n"), RedisReplyType.Integer, integer: value);

        public static Resp Bulk(byte[] value) => new(Blob('$', value), RedisReplyType.BulkString, value);

        public static Resp BlobError(byte[] value) => new(Blob('!', value), RedisReplyType.Error, value);

        public static Resp Verbatim(string format, byte[] value)
            => new(Blob('=', [.. Encoding.ASCII.GetBytes(format + ":"), .. value]), RedisReplyType.BulkString, value);

        public static Resp Null(string wire) => new(Ascii(wire + "\r\n"), RedisReplyType.Null);

        public static Resp Boolean(bool value) => new(Ascii(value ? "#t\r\n" : "#f\r\n"), RedisReplyType.Boolean, integer: value ? 1 : 0);

        public static Resp Double(double value)
        {
            var text = double.IsNaN(value) ? "nan" : double.IsPositiveInfinity(value) ? "inf" : double.IsNegativeInfinity(value) ? "-inf"
                : value.ToString("R", CultureInfo.InvariantCulture);
            return Text(',', RedisReplyType.Double, text);
        }

        public static Resp Aggregate(char prefix, RedisReplyType type, Resp[] items)
        {
            var count = prefix == '%' ? items.Length / 2 : items.Length;
            return new([.. Ascii($"{prefix}{count}\r\n"), .. items.SelectMany(i => i._wire)], type, items: items);
        }

        public Resp WithAttribute(Resp[] pairs)
            => new([.. Ascii($"|{pairs.Length / 2}\r\n"), .. pairs.SelectMany(i => i._wire), .. _wire], _type, _bytes, _integer, _items);

        public byte[] Encode() => (byte[])_wire.Clone();

        public void AssertMatches(RedisReply reply)
        {
            Assert.Equal(_type, reply.Type);
            switch (_type)
            {
                case RedisReplyType.Integer:
                case RedisReplyType.Boolean:
                    Assert.Equal(_integer, reply.AsInt64());
                    break;
                case RedisReplyType.Array:
                case RedisReplyType.Map:
                case RedisReplyType.Push:
                    Assert.Equal(_items.Length, reply.Items.Count);
                    for (var i = 0; i < _items.Length; i++)
                    {
                        _items[i].AssertMatches(reply.Items[i]);
                    }

                    break;
                case RedisReplyType.Null:
                    Assert.True(reply.IsNull);
                    break;
                default:
                    Assert.Equal(_bytes, reply.AsBytes());
                    break;
            }
        }

        public override string ToString() => Encoding.UTF8.GetString(_wire).Replace("\r\n", "\\r\\n", StringComparison.Ordinal);

        private static byte[] Ascii(string text) => Encoding.ASCII.GetBytes(text);

        private static byte[] Blob(char prefix, byte[] value)
            => [.. Ascii($"{prefix}{value.Length.ToString(CultureInfo.InvariantCulture)}\r\n"), .. value, .. "\r\n"u8];
    }
}
