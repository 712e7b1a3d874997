using System.Buffers.Text;

namespace HybridCaching.Redis.Client;

/// <summary>
/// Parses one RESP2/RESP3 reply from a buffer. Stateless: when the buffer holds only part of a reply it
/// says so and how many bytes it needs at least, so the caller reads that much before trying again (a
/// 20 MB bulk string is then parsed once, not once per socket read).
/// </summary>
internal static class RespReader
{
    /// <summary>The largest bulk string accepted (Redis's own default <c>proto-max-bulk-len</c>).</summary>
    internal const int MaxBulkLength = 512 * 1024 * 1024;

    /// <summary>The longest line accepted, CRLF excluded: the type byte and a status text, number or length header.</summary>
    internal const int MaxLineLength = 64 * 1024;

    private const int MaxAggregateLength = 1 << 24;
    private const int MaxDepth = 64;

    /// <summary>Tries to parse one reply at the start of <paramref name="buffer"/>.</summary>
    /// <param name="buffer">The bytes received and not yet consumed.</param>
    /// <param name="reply">The reply, when complete.</param>
    /// <param name="consumed">How many bytes the reply took, when complete.</param>
    /// <param name="needed">When incomplete: the buffer length at which trying again can make progress.</param>
    /// <returns>Whether a complete reply was parsed.</returns>
    /// <exception cref="RedisProtocolException">The bytes are not valid RESP.</exception>
    public static bool TryParse(ReadOnlySpan<byte> buffer, out RedisReply reply, out int consumed, out int needed)
    {
        var position = 0;
        if (TryParseAt(buffer, ref position, 0, out reply, out needed))
        {
            consumed = position;
            needed = 0;
            return true;
        }

        consumed = 0;
        needed = Math.Max(needed, buffer.Length + 1);
        return false;
    }

    private static bool TryParseAt(ReadOnlySpan<byte> buffer, ref int position, int depth, out RedisReply reply, out int needed)
    {
        reply = default;
        if (depth > MaxDepth)
        {
            throw new RedisProtocolException("Reply nested too deeply.");
        }

        while (true)
        {
            if (!TryReadLine(buffer, position, out var line, out var next))
            {
                needed = buffer.Length + 1;
                return false;
            }

            if (line.Length == 0)
            {
                throw new RedisProtocolException("Empty RESP line.");
            }

            var prefix = line[0];
            var body = line[1..];
            switch (prefix)
            {
                case (byte)'+':
                    reply = new RedisReply(RedisReplyType.SimpleString, body.ToArray());
                    position = next;
                    needed = 0;
                    return true;
                case (byte)'-':
                    reply = new RedisReply(RedisReplyType.Error, body.ToArray());
                    position = next;
                    needed = 0;
                    return true;
                case (byte)':':
                    reply = new RedisReply(RedisReplyType.Integer, integer: ParseInteger(body));
                    position = next;
                    needed = 0;
                    return true;
                case (byte)'_':
                    reply = new RedisReply(RedisReplyType.Null);
                    position = next;
                    needed = 0;
                    return true;
                case (byte)',':
                    reply = new RedisReply(RedisReplyType.Double, body.ToArray());
                    position = next;
                    needed = 0;
                    return true;
                case (byte)'(':
                    reply = new RedisReply(RedisReplyType.BigNumber, body.ToArray());
                    position = next;
                    needed = 0;
                    return true;
                case (byte)'#':
                    if (body.Length != 1 || (body[0] != (byte)'t' && body[0] != (byte)'f'))
                    {
                        throw new RedisProtocolException("Invalid RESP3 boolean.");
                    }

                    reply = new RedisReply(RedisReplyType.Boolean, integer: body[0] == (byte)'t' ? 1 : 0);
                    position = next;
                    needed = 0;
                    return true;
                case (byte)'$':
                case (byte)'!':
                case (byte)'=':
                    return TryParseBlob(buffer, ref position, prefix, body, next, out reply, out needed);
                case (byte)'*':
                case (byte)'~':
                case (byte)'%':
                case (byte)'>':
                case (byte)'|':
                    {
                        var count = ParseInteger(body);
                        if (count < 0)
                        {
                            reply = new RedisReply(RedisReplyType.Null);
                            position = next;
                            needed = 0;
                            return true;
                        }

                        var isPairs = prefix is (byte)'%' or (byte)'|';
                        if (count > MaxAggregateLength / (isPairs ? 2 : 1))
                        {
                            throw new RedisProtocolException($"Aggregate of {count} elements is too large.");
                        }

                        // Every element takes at least 3 bytes ("_\r\n"): until that many have arrived, ask for them
                        // rather than allocate for elements that may never come (a garbage header could claim millions).
                        var elements = (int)count * (isPairs ? 2 : 1);
                        var minimumEnd = (long)next + (3L * elements);
                        if (minimumEnd > buffer.Length)
                        {
                            needed = (int)minimumEnd;
                            return false;
                        }

                        var items = elements == 0 ? [] : new RedisReply[elements];
                        var cursor = next;
                        for (var i = 0; i < items.Length; i++)
                        {
                            if (!TryParseAt(buffer, ref cursor, depth + 1, out items[i], out needed))
                            {
                                return false;
                            }
                        }

                        position = cursor;
                        if (prefix == (byte)'|')
                        {
                            // An attribute annotates the reply that follows it: skip it and parse that reply.
                            continue;
                        }

                        var type = prefix switch
                        {
                            (byte)'%' => RedisReplyType.Map,
                            (byte)'>' => RedisReplyType.Push,
                            _ => RedisReplyType.Array,
                        };
                        reply = new RedisReply(type, items: items);
                        needed = 0;
                        return true;
                    }

                default:
                    throw new RedisProtocolException($"Unknown RESP type byte 0x{prefix:x2}.");
            }
        }
    }

    private static bool TryParseBlob(
        ReadOnlySpan<byte> buffer, ref int position, byte prefix, ReadOnlySpan<byte> header, int start, out RedisReply reply, out int needed)
    {
        reply = default;
        if (header.Length > 0 && header[0] == (byte)'?')
        {
            throw new RedisProtocolException("Streamed RESP3 strings are not supported.");
        }

        var length = ParseInteger(header);
        if (length < 0)
        {
            reply = new RedisReply(RedisReplyType.Null);
            position = start;
            needed = 0;
            return true;
        }

        if (length > MaxBulkLength)
        {
            throw new RedisProtocolException($"Bulk string of {length} bytes exceeds the {MaxBulkLength}-byte limit.");
        }

        var end = (long)start + length + 2;
        if (end > buffer.Length)
        {
            needed = (int)end;
            return false;
        }

        var content = buffer.Slice(start, (int)length);
        if (buffer[(int)end - 2] != (byte)'\r' || buffer[(int)end - 1] != (byte)'\n')
        {
            throw new RedisProtocolException("Bulk string not terminated by CRLF.");
        }

        switch (prefix)
        {
            case (byte)'!':
                reply = new RedisReply(RedisReplyType.Error, content.ToArray());
                break;
            case (byte)'=':
                // Verbatim string: a three-letter format and a colon, then the text.
                reply = new RedisReply(RedisReplyType.BulkString, content.Length >= 4 ? content[4..].ToArray() : content.ToArray());
                break;
            default:
                reply = new RedisReply(RedisReplyType.BulkString, content.ToArray());
                break;
        }

        position = (int)end;
        needed = 0;
        return true;
    }

    private static bool TryReadLine(ReadOnlySpan<byte> buffer, int position, out ReadOnlySpan<byte> line, out int next)
    {
        // Look for the end only as far as the longest line can reach: a server sending a line that never ends must
        // fail the connection, not make the caller buffer without limit (bulk payloads are not lines: their length is
        // in the header and capped by MaxBulkLength).
        var rest = buffer[position..];
        var window = rest[..Math.Min(rest.Length, MaxLineLength + 2)];
        var index = window.IndexOf((byte)'\n');
        if (index < 0)
        {
            if (window.Length == MaxLineLength + 2)
            {
                throw new RedisProtocolException($"RESP line longer than {MaxLineLength} bytes.");
            }

            line = default;
            next = 0;
            return false;
        }

        if (index == 0 || rest[index - 1] != (byte)'\r')
        {
            throw new RedisProtocolException("RESP line not terminated by CRLF.");
        }

        line = rest[..(index - 1)];
        next = position + index + 1;
        return true;
    }

    private static long ParseInteger(ReadOnlySpan<byte> text)
    {
        if (!Utf8Parser.TryParse(text, out long value, out var consumed) || consumed != text.Length)
        {
            throw new RedisProtocolException("Invalid RESP integer.");
        }

        return value;
    }
}
