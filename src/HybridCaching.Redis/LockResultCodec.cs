using System.Buffers;
using System.Text;
using MessagePack;

namespace HybridCaching.Redis;

/// <summary>
/// The value a race leader leaves under the lock key for the servers waiting on it: a MessagePack map
/// <c>{Res: bin, Err: string}</c>, fields left out when empty, exactly as the Go original writes it (SPEC §6).
/// </summary>
internal static class LockResultCodec
{
    /// <summary>The error text meaning "the value must not be cached" (Go's <c>ErrNoCache</c>).</summary>
    public const string NoCacheError = "hybridcache: no cache";

    /// <summary>The error text meaning "not found" (Go's <c>ErrNotFound</c>).</summary>
    public const string NotFoundError = "hybridcache: not found";

    /// <summary>The placeholder a lock holds while its leader runs.</summary>
    public const string PlaceholderText = "1";

    /// <summary>The placeholder's bytes.</summary>
    public static ReadOnlySpan<byte> Placeholder => "1"u8;

    /// <summary>Encodes a successful run's result.</summary>
    public static byte[] Encode(RaceResult result) => Encode(result.Value, result.NoCache ? NoCacheError : null);

    /// <summary>Encodes a map with the given fields (each left out when null or, for the error, empty).</summary>
    public static byte[] Encode(byte[]? value, string? error)
    {
        var output = new ArrayBufferWriter<byte>(16 + (value?.Length ?? 0) + (error?.Length ?? 0) * 3);
        var writer = new MessagePackWriter(output);
        var hasError = !string.IsNullOrEmpty(error);
        writer.WriteMapHeader((value is null ? 0 : 1) + (hasError ? 1 : 0));
        if (value is not null)
        {
            writer.WriteRaw(ResKey);
            writer.Write(value);
        }

        if (hasError)
        {
            writer.WriteRaw(ErrKey);
            writer.Write(error);
        }

        writer.Flush();
        return output.WrittenSpan.ToArray();
    }

    /// <summary>Decodes a stored result.</summary>
    /// <returns>The value (<see langword="null"/> when absent) and the error text (<see langword="null"/> when absent).</returns>
    /// <exception cref="MessagePackSerializationException">The bytes are not such a map.</exception>
    public static (byte[]? Value, string? Error) Decode(ReadOnlyMemory<byte> data)
    {
        try
        {
            return DecodeCore(data);
        }
        catch (Exception ex) when (ex is EndOfStreamException or OverflowException or ArgumentOutOfRangeException)
        {
            // MessagePack-CSharp's reader raises these for truncated data or lengths beyond Int32.MaxValue: one documented type for callers.
            throw new MessagePackSerializationException("The lock result is not a {Res, Err} map.", ex);
        }
    }

    private static (byte[]? Value, string? Error) DecodeCore(ReadOnlyMemory<byte> data)
    {
        var reader = new MessagePackReader(data);
        byte[]? value = null;
        string? error = null;
        var count = reader.ReadMapHeader();
        for (var i = 0; i < count; i++)
        {
            var name = ReadStringLike(ref reader);
            if (Is(name, "Res"u8))
            {
                value = reader.TryReadNil() ? null : ReadStringLike(ref reader).ToArray();
            }
            else if (Is(name, "Err"u8))
            {
                error = reader.TryReadNil() ? null : Encoding.UTF8.GetString(ReadStringLike(ref reader).ToArray());
            }
            else
            {
                reader.Skip();
            }
        }

        return (value, error);
    }

    /// <summary>Reads a str or a bin (Go reads them interchangeably); anything else is malformed.</summary>
    private static ReadOnlySequence<byte> ReadStringLike(ref MessagePackReader reader) => reader.NextMessagePackType switch
    {
        MessagePackType.Binary => reader.ReadBytes() ?? default,
        MessagePackType.String => reader.ReadStringSequence() ?? default,
        var other => throw new MessagePackSerializationException($"Expected a str or bin, found {other}."),
    };

    private static bool Is(ReadOnlySequence<byte> name, ReadOnlySpan<byte> expected) => name.IsSingleSegment && name.FirstSpan.SequenceEqual(expected);

    // Keys pre-encoded as fixstr.
    private static ReadOnlySpan<byte> ResKey => [0xa3, (byte)'R', (byte)'e', (byte)'s'];

    private static ReadOnlySpan<byte> ErrKey => [0xa3, (byte)'E', (byte)'r', (byte)'r'];

    /// <summary>Turns a decoded result into what the race returns: a <see cref="RaceResult"/>, or the leader's failure.</summary>
    /// <exception cref="RemoteRaceException">The leader's run failed with <paramref name="error"/>.</exception>
    public static RaceResult ToRaceResult(byte[]? value, string? error) => error switch
    {
        null or "" => new RaceResult(value),
        NoCacheError => new RaceResult(value, NoCache: true),
        NotFoundError => new RaceResult(null),
        _ => throw new RemoteRaceException(error),
    };
}
