using System.Buffers.Text;
using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace HybridCaching.Redis.Client;

/// <summary>A reply read from the server: its <see cref="Type"/> and its data.</summary>
[DebuggerDisplay("{Type}: {ToString(),nq}")]
public readonly struct RedisReply
{
    private readonly byte[]? _bytes;
    private readonly RedisReply[]? _items;
    private readonly long _integer;

    internal RedisReply(RedisReplyType type, byte[]? bytes = null, long integer = 0, RedisReply[]? items = null)
    {
        Type = type;
        _bytes = bytes;
        _integer = integer;
        _items = items;
    }

    /// <summary>The reply's RESP type.</summary>
    public RedisReplyType Type { get; }

    /// <summary>Whether the reply is null (a missing key, for example).</summary>
    public bool IsNull => Type == RedisReplyType.Null;

    /// <summary>The elements of an array, set, map (key, value, key, value…) or push reply; empty otherwise.</summary>
    public IReadOnlyList<RedisReply> Items => _items ?? [];

    /// <summary>The reply's bytes: the content of a bulk, simple or verbatim string (and the text of an
    /// error, double or big number); <see langword="null"/> for a null reply.</summary>
    /// <returns>The bytes (the reply's own array: do not modify it), or <see langword="null"/>.</returns>
    /// <exception cref="InvalidCastException">The reply is an aggregate or an integer.</exception>
    public byte[]? AsBytes() => Type switch
    {
        RedisReplyType.Null => null,
        RedisReplyType.Integer or RedisReplyType.Boolean => Encoding.ASCII.GetBytes(_integer.ToString(CultureInfo.InvariantCulture)),
        RedisReplyType.Array or RedisReplyType.Map or RedisReplyType.Push => throw new InvalidCastException($"A {Type} reply has no bytes."),
        _ => _bytes,
    };

    /// <summary>The reply as an integer: an integer or boolean reply, or a string holding a decimal integer.</summary>
    /// <returns>The integer.</returns>
    /// <exception cref="InvalidCastException">The reply is not an integer.</exception>
    public long AsInt64()
    {
        if (Type is RedisReplyType.Integer or RedisReplyType.Boolean)
        {
            return _integer;
        }

        if (_bytes is not null && Utf8Parser.TryParse(_bytes, out long value, out var consumed) && consumed == _bytes.Length)
        {
            return value;
        }

        throw new InvalidCastException($"A {Type} reply is not an integer.");
    }

    /// <summary>The reply's text: strings decoded as UTF-8, integers in decimal, null as <see langword="null"/>,
    /// aggregates as a short summary.</summary>
    /// <returns>The text.</returns>
    public override string? ToString() => Type switch
    {
        RedisReplyType.Null => null,
        RedisReplyType.Integer => _integer.ToString(CultureInfo.InvariantCulture),
        RedisReplyType.Boolean => _integer != 0 ? "true" : "false",
        RedisReplyType.Array or RedisReplyType.Map or RedisReplyType.Push => $"{Type}[{_items?.Length ?? 0}]",
        _ => _bytes is null ? null : Encoding.UTF8.GetString(_bytes),
    };

    /// <summary>Whether this reply is an aggregate whose first element is the given ASCII text (e.g. <c>message</c>).</summary>
    internal bool StartsWith(ReadOnlySpan<byte> kind)
        => _items is { Length: > 0 } items && items[0]._bytes is { } first && first.AsSpan().SequenceEqual(kind);
}
