using System.Text;

namespace HybridCaching.Redis;

// The backplane's wire format: one byte version (1), one byte kind ('K' keys changed, 'C' cleared), the sender's 8-byte
// instance id, then for 'K' each key (without the prefix, which the channel implies) as a 7-bit-encoded length and its
// UTF-8 bytes (BinaryWriter's string format). A 20-byte key costs 21 bytes; a message of 50 such keys about 1 KB.
internal static class BackplaneMessage
{
    public const int InstanceIdLength = 8;
    private const byte Version = 1;
    private const byte KeysKind = (byte)'K';
    private const byte ClearKind = (byte)'C';
    private const int HeaderLength = 2 + InstanceIdLength;

    // Keys longer than this are announced alone; a batch is cut before passing it.
    public const int MaxBatchBytes = 16 * 1024;

    public static byte[] Clear(ReadOnlySpan<byte> instanceId) => [Version, ClearKind, .. instanceId];

    public static List<byte[]> Keys(ReadOnlySpan<byte> instanceId, IReadOnlyCollection<string> keys)
    {
        var messages = new List<byte[]>();
        using var message = new MemoryStream();
        using var writer = new BinaryWriter(message, Encoding.UTF8);
        foreach (var key in keys)
        {
            if (message.Length > HeaderLength && message.Length + Encoding.UTF8.GetByteCount(key) + 5 > MaxBatchBytes)
            {
                messages.Add(message.ToArray());
                message.SetLength(0);
            }

            if (message.Length == 0)
            {
                writer.Write([Version, KeysKind]);
                writer.Write(instanceId);
            }

            writer.Write(key);
        }

        if (message.Length > 0)
        {
            messages.Add(message.ToArray());
        }

        return messages;
    }

    // Untrusted: false for anything malformed; an empty key (no cache entry) is skipped, the other keys kept.
    public static bool TryRead(ReadOnlySpan<byte> message, out ReadOnlySpan<byte> sender, out bool cleared, out List<string> keys)
    {
        sender = default;
        cleared = false;
        keys = [];
        if (message.Length < HeaderLength || message[0] != Version || message[1] is not (KeysKind or ClearKind))
        {
            return false;
        }

        sender = message.Slice(2, InstanceIdLength);
        cleared = message[1] == ClearKind;
        if (cleared || message.Length == HeaderLength)
        {
            return cleared && message.Length == HeaderLength;
        }

        // Read in place (this runs for every message received), each length checked against what is left.
        var rest = message[HeaderLength..];
        while (!rest.IsEmpty)
        {
            if (!TryRead7BitLength(rest, out var length, out var consumed) || length > rest.Length - consumed)
            {
                return false;
            }

            if (length > 0)
            {
                keys.Add(Encoding.UTF8.GetString(rest.Slice(consumed, length)));
            }

            rest = rest[(consumed + length)..];
        }

        return true;
    }

    // BinaryWriter.Write(string)'s length prefix (7 bits a byte, low first); false when truncated or longer than an int.
    private static bool TryRead7BitLength(ReadOnlySpan<byte> source, out int value, out int consumed)
    {
        value = 0;
        consumed = 0;
        for (var shift = 0; shift < 32 && consumed < source.Length; shift += 7)
        {
            var b = source[consumed++];
            value |= (b & 0x7f) << shift;
            if ((b & 0x80) == 0)
            {
                return value >= 0;
            }
        }

        return false;
    }
}
