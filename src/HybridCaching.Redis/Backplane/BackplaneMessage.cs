using System.Buffers;
using System.Text;

namespace HybridCaching.Redis;

// The backplane's wire format: one byte version (1), one byte kind ('K' keys changed, 'C' cleared), the sender's 8-byte
// instance id, then for 'K' each key (without the prefix, which the channel implies) as a 7-bit-encoded length and its
// UTF-8 bytes. A 20-byte key costs 21 bytes; a message of 50 such keys about 1 KB.
internal static class BackplaneMessage
{
    public const int InstanceIdLength = 8;
    private const byte Version = 1;
    private const byte KeysKind = (byte)'K';
    private const byte ClearKind = (byte)'C';
    private const int HeaderLength = 2 + InstanceIdLength;

    // Keys longer than this are announced alone; a batch is cut before passing it.
    public const int MaxBatchBytes = 16 * 1024;

    public static byte[] Clear(ReadOnlySpan<byte> instanceId)
    {
        var message = new byte[HeaderLength];
        WriteHeader(message, ClearKind, instanceId);
        return message;
    }

    public static List<byte[]> Keys(ReadOnlySpan<byte> instanceId, IReadOnlyCollection<string> keys)
    {
        var messages = new List<byte[]>();
        var buffer = new ArrayBufferWriter<byte>(Math.Min(MaxBatchBytes, 256));
        foreach (var key in keys)
        {
            var length = Encoding.UTF8.GetByteCount(key);
            if (buffer.WrittenCount > HeaderLength && buffer.WrittenCount + length + 5 > MaxBatchBytes)
            {
                messages.Add(buffer.WrittenSpan.ToArray());
                buffer.Clear();
            }

            if (buffer.WrittenCount == 0)
            {
                WriteHeader(buffer.GetSpan(HeaderLength), KeysKind, instanceId);
                buffer.Advance(HeaderLength);
            }

            var span = buffer.GetSpan(length + 5);
            var written = Write7BitLength(span, length);
            written += Encoding.UTF8.GetBytes(key, span[written..]);
            buffer.Advance(written);
        }

        if (buffer.WrittenCount > 0)
        {
            messages.Add(buffer.WrittenSpan.ToArray());
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
        if (message[1] == ClearKind)
        {
            cleared = true;
            return message.Length == HeaderLength;
        }

        var rest = message[HeaderLength..];
        if (rest.IsEmpty)
        {
            return false;
        }

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

    private static void WriteHeader(Span<byte> destination, byte kind, ReadOnlySpan<byte> instanceId)
    {
        destination[0] = Version;
        destination[1] = kind;
        instanceId.CopyTo(destination.Slice(2, InstanceIdLength));
    }

    private static int Write7BitLength(Span<byte> destination, int value)
    {
        var i = 0;
        var v = (uint)value;
        while (v >= 0x80)
        {
            destination[i++] = (byte)(v | 0x80);
            v >>= 7;
        }

        destination[i++] = (byte)v;
        return i;
    }

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
