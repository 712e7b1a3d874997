using System.Buffers;
using System.Text;
using HybridCaching.Serialization;
using HybridCaching.Serialization.MessagePackFormatters;
using MessagePack;

namespace HybridCaching;

/// <summary>A zero-copy view over a stored payload envelope, in the format the Go original writes: a MessagePack map
/// keyed by field name (<c>BestBefore</c> timestamp, <c>Value</c> bin, <c>Header</c> map of string to array of string,
/// <c>StatusCode</c> int, <c>V</c> int, always 1), empty fields left out.</summary>
/// <remarks><see cref="TryRead"/> runs on every cache hit, so it allocates nothing: <see cref="Value"/> is a slice of
/// the stored bytes and the headers are decoded only when asked for.</remarks>
internal readonly struct CachePayload(DateTimeOffset bestBefore, ReadOnlyMemory<byte> value, ReadOnlyMemory<byte> header, int statusCode, ReadOnlyMemory<byte> tags, DateTimeOffset written)
{
    /// <summary>The only envelope version this library reads and writes.</summary>
    public const int CurrentVersion = 1;

    private readonly ReadOnlyMemory<byte> _header = header;
    private readonly ReadOnlyMemory<byte> _tags = tags;

    /// <summary>Gets a value indicating whether the entry carries tags (the .NET-only <c>Tags</c> field; Go skips it).</summary>
    public bool HasTags => !_tags.IsEmpty;

    /// <summary>Gets when a tagged entry was written (the .NET-only <c>Written</c> field); <c>default</c> when absent.</summary>
    public DateTimeOffset Written { get; } = written;

    /// <summary>Decodes the entry's tags; empty when it has none.</summary>
    public string[] ReadTags()
    {
        if (_tags.IsEmpty)
        {
            return [];
        }

        var reader = new MessagePackReader(_tags);
        return ReadTexts(ref reader);
    }

    /// <summary>Adds the .NET-only fields <c>Tags</c> (array of str) and <c>Written</c> (timestamp) to an envelope this
    /// library wrote. Go's decoder skips map fields its struct does not declare, so Go still reads the entry; an entry
    /// without tags is never passed here and stays byte-identical to Go's.</summary>
    internal static byte[] WithTags(byte[] envelope, IReadOnlyCollection<string> tags, DateTimeOffset written)
    {
        if (envelope.Length == 0 || (envelope[0] & 0xf0) != 0x80 || (envelope[0] & 0x0f) > 13)
        {
            throw new ArgumentException("Not an envelope this library wrote.", nameof(envelope));
        }

        PooledBufferWriter buffer = PooledBufferWriter.Rent();
        try
        {
            var writer = new MessagePackWriter(buffer);
            writer.WriteMapHeader((envelope[0] & 0x0f) + 2);
            writer.WriteRaw(envelope.AsSpan(1));
            writer.Write("Tags");
            writer.WriteArrayHeader(tags.Count);
            foreach (string tag in tags)
            {
                writer.Write(tag);
            }

            writer.Write("Written");
            writer.Write(written.UtcDateTime);
            writer.Flush();
            return buffer.WrittenSpan.ToArray();
        }
        finally
        {
            PooledBufferWriter.Return(buffer);
        }
    }

    /// <summary>Gets the time after which the value is stale; <c>default</c> when absent (Go's zero time maps here too).</summary>
    public DateTimeOffset BestBefore { get; } = bestBefore;

    /// <summary>Gets the cached value's bytes, a slice of the stored data; empty when absent.</summary>
    public ReadOnlySpan<byte> Value => ValueMemory.Span;

    /// <summary>Gets <see cref="Value"/> as a slice of the array <see cref="TryRead"/> was given.</summary>
    public ReadOnlyMemory<byte> ValueMemory { get; } = value;

    /// <summary>Gets the HTTP status code; 0 when absent.</summary>
    public int StatusCode { get; } = statusCode;

    /// <summary>Decodes the headers: names compared case-insensitively, every value kept separately.</summary>
    /// <returns>The headers, or <see langword="null"/> when the envelope has none.</returns>
    public Dictionary<string, string[]>? ReadHeader()
    {
        if (_header.IsEmpty)
        {
            return null;
        }

        // TryRead validated the structure, so this cannot meet malformed data.
        var reader = new MessagePackReader(_header);
        int count = reader.ReadMapHeader();
        var headers = new Dictionary<string, string[]>(count, StringComparer.OrdinalIgnoreCase);
        for (int i = 0; i < count; i++)
        {
            string name = ReadText(ref reader);
            string[] values = reader.TryReadNil() ? [] : ReadTexts(ref reader);

            // Names that differ only in case (possible from other writers) are merged, never dropped.
            headers[name] = headers.TryGetValue(name, out string[]? existing) ? [.. existing, .. values] : values;
        }

        return headers;
    }

    /// <summary>Reads an envelope without allocating (<paramref name="payload"/> is valid while <paramref name="data"/> is):
    /// <see langword="false"/>, never an exception, for anything but a well-formed version-1 envelope (garbage, truncation,
    /// trailing bytes, a missing or different <c>V</c>, a field of the wrong type). Unknown fields are skipped; names match exactly.</summary>
    public static bool TryRead(ReadOnlyMemory<byte> data, out CachePayload payload)
    {
        payload = default;
        if (data.Span is not [>= 0x80 and <= 0x8f or 0xde or 0xdf, ..]) // not a fixmap, map16 or map32
        {
            return false;
        }

        try
        {
            var reader = new MessagePackReader(data);
            ReadOnlySpan<byte> bytes = data.Span;
            int count = reader.ReadMapHeader();

            DateTimeOffset bestBefore = default;
            ReadOnlyMemory<byte> value = default;
            ReadOnlyMemory<byte> header = default;
            int statusCode = 0;
            long version = 0;
            ReadOnlyMemory<byte> tags = default;
            DateTimeOffset written = default;

            // A nil field is an empty one (Go writes nil for an empty slice or map without omitempty); a nil V, or a known
            // field of another type, makes the envelope unreadable.
            for (int i = 0; i < count; i++)
            {
                if (!IsStringLike(reader.NextMessagePackType))
                {
                    return false;
                }

                ReadOnlySpan<byte> key = bytes[ReadStringLikeRange(ref reader)];
                MessagePackType type = reader.NextMessagePackType;
                if (Is(key, "BestBefore"u8) && type is MessagePackType.Nil or MessagePackType.Extension)
                {
                    bestBefore = reader.TryReadNil() ? default : ReadTime(ref reader);
                }
                else if (Is(key, "Value"u8) && (type == MessagePackType.Nil || IsStringLike(type)))
                {
                    value = reader.TryReadNil() ? default : data[ReadStringLikeRange(ref reader)];
                }
                else if (Is(key, "Header"u8) && type is MessagePackType.Nil or MessagePackType.Map)
                {
                    int start = (int)reader.Consumed;
                    if (!reader.TryReadNil() && !TrySkipHeader(ref reader))
                    {
                        return false;
                    }

                    header = type == MessagePackType.Nil ? default : data[start..(int)reader.Consumed];
                }
                else if (Is(key, "StatusCode"u8) && type is MessagePackType.Nil or MessagePackType.Integer)
                {
                    statusCode = reader.TryReadNil() ? 0 : reader.ReadInt32();
                }
                else if (Is(key, "Tags"u8) && type == MessagePackType.Array)
                {
                    int start = (int)reader.Consumed;
                    if (!TrySkipStrings(ref reader))
                    {
                        return false;
                    }

                    tags = data[start..(int)reader.Consumed];
                }
                else if (Is(key, "Written"u8) && type == MessagePackType.Extension)
                {
                    written = ReadTime(ref reader);
                }
                else if (Is(key, "V"u8) && type == MessagePackType.Integer)
                {
                    version = reader.ReadInt64();
                }
                else if ((type != MessagePackType.Nil || Is(key, "V"u8)) && IsField(key))
                {
                    return false;
                }
                else
                {
                    reader.Skip();
                }
            }

            if (!reader.End || version != CurrentVersion)
            {
                return false;
            }

            payload = new CachePayload(bestBefore, value, header, statusCode, tags, written);
            return true;
        }
        catch (Exception ex) when (ex is MessagePackSerializationException or EndOfStreamException or OverflowException or ArgumentOutOfRangeException)
        {
            // What MessagePack-CSharp's reader raises for malformed, truncated or out-of-range data (a length beyond
            // Int32.MaxValue surfaces as ArgumentOutOfRangeException).
            return false;
        }
    }

    /// <summary>Writes an envelope, exactly sized: fields in the order BestBefore, Value, Header, StatusCode, V, the empty
    /// ones (<c>default</c>, empty, null, 0) left out. <paramref name="header"/> is e.g. <c>HttpResponseMessage.Headers</c>;
    /// every value is kept separately.</summary>
    public static byte[] Write(DateTimeOffset bestBefore, ReadOnlySpan<byte> value, IEnumerable<KeyValuePair<string, IEnumerable<string>>>? header = null, int statusCode = 0)
    {
        PooledBufferWriter? headerBuffer = header is null ? null : PooledBufferWriter.Rent();
        PooledBufferWriter buffer = PooledBufferWriter.Rent();
        try
        {
            int headerCount = 0;
            if (headerBuffer is not null)
            {
                var headerWriter = new MessagePackWriter(headerBuffer);
                foreach (var (name, values) in header!)
                {
                    string[] texts = values as string[] ?? values?.ToArray() ?? [];
                    headerWriter.Write(name ?? string.Empty);
                    headerWriter.WriteArrayHeader(texts.Length);
                    foreach (string? text in texts)
                    {
                        headerWriter.Write(text ?? string.Empty);
                    }

                    headerCount++;
                }

                headerWriter.Flush();
            }

            bool hasBestBefore = bestBefore.UtcTicks != 0;
            var writer = new MessagePackWriter(buffer);
            writer.WriteMapHeader(1 + (hasBestBefore ? 1 : 0) + (value.IsEmpty ? 0 : 1) + (headerCount > 0 ? 1 : 0) + (statusCode != 0 ? 1 : 0));
            if (hasBestBefore)
            {
                writer.WriteRaw(BestBeforeKey);
                writer.Write(bestBefore.UtcDateTime);
            }

            if (!value.IsEmpty)
            {
                writer.WriteRaw(ValueKey);
                writer.Write(value);
            }

            if (headerCount > 0)
            {
                writer.WriteRaw(HeaderKey);
                writer.WriteMapHeader(headerCount);
                writer.WriteRaw(headerBuffer!.WrittenSpan);
            }

            if (statusCode != 0)
            {
                writer.WriteRaw(StatusCodeKey);
                writer.Write(statusCode);
            }

            writer.WriteRaw(VersionKey);
            writer.Write(CurrentVersion);
            writer.Flush();
            return buffer.WrittenSpan.ToArray();
        }
        finally
        {
            PooledBufferWriter.Return(buffer);
            if (headerBuffer is not null)
            {
                PooledBufferWriter.Return(headerBuffer);
            }
        }
    }

    // Keys pre-encoded as fixstr: the header byte, then the UTF-8 name ("BestBefore" and so on).
    private static ReadOnlySpan<byte> BestBeforeKey => [0xaa, 0x42, 0x65, 0x73, 0x74, 0x42, 0x65, 0x66, 0x6f, 0x72, 0x65];

    private static ReadOnlySpan<byte> ValueKey => [0xa5, 0x56, 0x61, 0x6c, 0x75, 0x65];

    private static ReadOnlySpan<byte> HeaderKey => [0xa6, 0x48, 0x65, 0x61, 0x64, 0x65, 0x72];

    private static ReadOnlySpan<byte> StatusCodeKey => [0xaa, 0x53, 0x74, 0x61, 0x74, 0x75, 0x73, 0x43, 0x6f, 0x64, 0x65];

    private static ReadOnlySpan<byte> VersionKey => [0xa1, 0x56];

    private static bool IsField(ReadOnlySpan<byte> key)
        => Is(key, "BestBefore"u8) || Is(key, "Value"u8) || Is(key, "Header"u8) || Is(key, "StatusCode"u8)
            || Is(key, "Tags"u8) || Is(key, "Written"u8) || Is(key, "V"u8);

    private static DateTimeOffset ReadTime(ref MessagePackReader reader) => new(GoTimeFormatter.ReadUtc(ref reader), TimeSpan.Zero);

    /// <summary>Checks that the header map is string → array of strings (or nil) and moves past it.</summary>
    private static bool TrySkipHeader(ref MessagePackReader reader)
    {
        int count = reader.ReadMapHeader();
        for (int i = 0; i < count; i++)
        {
            if (!IsStringLike(reader.NextMessagePackType))
            {
                return false;
            }

            ReadStringLike(ref reader);
            if (!reader.TryReadNil() && (reader.NextMessagePackType != MessagePackType.Array || !TrySkipStrings(ref reader)))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Checks that the next value is an array of strings and moves past it.</summary>
    private static bool TrySkipStrings(ref MessagePackReader reader)
    {
        int count = reader.ReadArrayHeader();
        for (int i = 0; i < count; i++)
        {
            if (!IsStringLike(reader.NextMessagePackType))
            {
                return false;
            }

            ReadStringLike(ref reader);
        }

        return true;
    }

    /// <summary>Reads a str or a bin (Go reads them interchangeably), returning where its bytes are in the reader's input.</summary>
    private static Range ReadStringLikeRange(scoped ref MessagePackReader reader)
    {
        int length = (int)ReadStringLike(ref reader).Length;
        int end = (int)reader.Consumed;
        return (end - length)..end;
    }

    /// <summary>Reads a str or a bin (Go reads them interchangeably) as a slice of the input.</summary>
    private static ReadOnlySequence<byte> ReadStringLike(scoped ref MessagePackReader reader) =>
        (reader.NextMessagePackType == MessagePackType.Binary ? reader.ReadBytes() : reader.ReadStringSequence()) ?? default;

    private static string ReadText(ref MessagePackReader reader) => Encoding.UTF8.GetString(ReadStringLike(ref reader));

    private static string[] ReadTexts(ref MessagePackReader reader)
    {
        var texts = new string[reader.ReadArrayHeader()];
        for (int i = 0; i < texts.Length; i++)
        {
            texts[i] = ReadText(ref reader);
        }

        return texts;
    }

    private static bool Is(ReadOnlySpan<byte> key, ReadOnlySpan<byte> name) => key.SequenceEqual(name);

    private static bool IsStringLike(MessagePackType type) => type is MessagePackType.String or MessagePackType.Binary;
}
