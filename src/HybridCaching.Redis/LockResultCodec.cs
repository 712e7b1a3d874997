using System.Buffers;
using System.Text;
using MessagePack;

namespace HybridCaching.Redis;

// The value a race leader leaves under the lock key for its waiters: a MessagePack map {Res: bin, Err: string}, fields
// left out when empty, exactly as the Go original writes it (SPEC §6).
internal static class LockResultCodec
{
    // Go's ErrNoCache and ErrNotFound.
    public const string NoCacheError = "hybridcache: no cache";

    public const string NotFoundError = "hybridcache: not found";

    // What a lock holds while its leader runs.
    public const string PlaceholderText = "1";

    public static ReadOnlySpan<byte> Placeholder => "1"u8;

    public static byte[] Encode(RaceResult result) => Encode(result.Value, error: null);

    public static byte[] Encode(byte[]? value, string? error)
    {
        var output = new ArrayBufferWriter<byte>(16 + (value?.Length ?? 0) + (error?.Length ?? 0) * 3);
        var writer = new MessagePackWriter(output);
        var hasError = !string.IsNullOrEmpty(error);
        writer.WriteMapHeader((value is null ? 0 : 1) + (hasError ? 1 : 0));
        if (value is not null)
        {
            writer.Write("Res"); // a fixstr, as Go writes it
            writer.Write(value);
        }

        if (hasError)
        {
            writer.Write("Err");
            writer.Write(error);
        }

        writer.Flush();
        return output.WrittenSpan.ToArray();
    }

    // Throws MessagePackSerializationException for anything but such a map.
    public static (byte[]? Value, string? Error) Decode(ReadOnlyMemory<byte> data)
    {
        var reader = new MessagePackReader(data);
        byte[]? value = null;
        string? error = null;
        try
        {
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
        }
        catch (Exception ex) when (ex is EndOfStreamException or OverflowException or ArgumentOutOfRangeException)
        {
            // What MessagePack-CSharp's reader raises for truncated data or lengths past Int32.MaxValue: one type for callers.
            throw new MessagePackSerializationException("The lock result is not a {Res, Err} map.", ex);
        }

        return (value, error);
    }

    // A str or a bin (Go reads them interchangeably).
    private static ReadOnlySequence<byte> ReadStringLike(ref MessagePackReader reader) => reader.NextMessagePackType switch
    {
        MessagePackType.Binary => reader.ReadBytes() ?? default,
        MessagePackType.String => reader.ReadStringSequence() ?? default,
        var other => throw new MessagePackSerializationException($"Expected a str or bin, found {other}."),
    };

    private static bool Is(ReadOnlySequence<byte> name, ReadOnlySpan<byte> expected) => name.IsSingleSegment && name.FirstSpan.SequenceEqual(expected);

    // The race's outcome a leader left: a RaceResult, or its failure as a RemoteRaceException.
    public static RaceResult ToRaceResult(ReadOnlyMemory<byte> data) => Decode(data) switch
    {
        (var value, null or "" or NoCacheError) => new RaceResult(value),
        (_, NotFoundError) => new RaceResult(null),
        (_, var error) => throw new RemoteRaceException(error),
    };
}
