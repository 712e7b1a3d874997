using System.Globalization;
using System.Text;

namespace HybridCaching.Redis.Client;

/// <summary>
/// One argument of a command: text (sent as UTF-8), raw bytes, or an integer. Converts implicitly from
/// <see cref="string"/>, <see cref="byte"/>[], <see cref="ReadOnlyMemory{T}"/> of bytes and <see cref="long"/>,
/// so commands read naturally: <c>connection.ExecuteAsync("SET", key, value, "PX", 1000)</c>.
/// </summary>
public readonly struct RedisArgument
{
    private readonly string? _text;
    private readonly ReadOnlyMemory<byte> _bytes;
    private readonly long _integer;
    private readonly Kind _kind;

    private RedisArgument(string? text, ReadOnlyMemory<byte> bytes, long integer, Kind kind)
    {
        _text = text;
        _bytes = bytes;
        _integer = integer;
        _kind = kind;
    }

    private enum Kind : byte
    {
        Bytes,
        Text,
        Integer,
    }

    /// <summary>Wraps text, sent as UTF-8.</summary>
    /// <param name="value">The text; <see langword="null"/> is sent as an empty string.</param>
    public static implicit operator RedisArgument(string? value) => new(value ?? string.Empty, default, 0, Kind.Text);

    /// <summary>Wraps raw bytes (not copied: do not change them until the command completes).</summary>
    /// <param name="value">The bytes; <see langword="null"/> is sent as an empty string.</param>
    public static implicit operator RedisArgument(byte[]? value) => new(null, value ?? ReadOnlyMemory<byte>.Empty, 0, Kind.Bytes);

    /// <summary>Wraps raw bytes (not copied: do not change them until the command completes).</summary>
    /// <param name="value">The bytes.</param>
    public static implicit operator RedisArgument(ReadOnlyMemory<byte> value) => new(null, value, 0, Kind.Bytes);

    /// <summary>Wraps an integer, sent in decimal.</summary>
    /// <param name="value">The integer.</param>
    public static implicit operator RedisArgument(long value) => new(null, default, value, Kind.Integer);

    /// <summary>Wraps text, sent as UTF-8 (the named alternative to the implicit conversion).</summary>
    /// <param name="value">The text.</param>
    /// <returns>The argument.</returns>
    public static RedisArgument FromString(string? value) => value;

    /// <summary>Wraps raw bytes (the named alternative to the implicit conversion).</summary>
    /// <param name="value">The bytes.</param>
    /// <returns>The argument.</returns>
    public static RedisArgument FromBytes(ReadOnlyMemory<byte> value) => value;

    /// <summary>Wraps an integer (the named alternative to the implicit conversion).</summary>
    /// <param name="value">The integer.</param>
    /// <returns>The argument.</returns>
    public static RedisArgument FromInt64(long value) => value;

    /// <summary>The number of bytes this argument takes on the wire (without the RESP framing).</summary>
    internal int ByteCount => _kind switch
    {
        Kind.Text => Encoding.UTF8.GetByteCount(_text!),
        Kind.Integer => CountDigits(_integer),
        _ => _bytes.Length,
    };

    /// <summary>The raw bytes when this argument wraps bytes.</summary>
    internal bool TryGetBytes(out ReadOnlyMemory<byte> bytes)
    {
        bytes = _bytes;
        return _kind == Kind.Bytes;
    }

    /// <summary>Writes the argument's bytes (which must fit: see <see cref="ByteCount"/>).</summary>
    internal int CopyTo(Span<byte> destination)
    {
        switch (_kind)
        {
            case Kind.Text:
                return Encoding.UTF8.GetBytes(_text!, destination);
            case Kind.Integer:
                _integer.TryFormat(destination, out var written, default, CultureInfo.InvariantCulture);
                return written;
            default:
                _bytes.Span.CopyTo(destination);
                return _bytes.Length;
        }
    }

    /// <summary>A short, printable form for diagnostics: text as is (cut at 64 chars), bytes as their length.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => _kind switch
    {
        Kind.Text => _text!.Length > 64 ? _text[..64] + "…" : _text,
        Kind.Integer => _integer.ToString(CultureInfo.InvariantCulture),
        _ => $"<{_bytes.Length} bytes>",
    };

    private static int CountDigits(long value)
    {
        Span<byte> scratch = stackalloc byte[20];
        value.TryFormat(scratch, out var written, default, CultureInfo.InvariantCulture);
        return written;
    }
}
