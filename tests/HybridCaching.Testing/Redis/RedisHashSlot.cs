using System.Globalization;
using System.Text;

namespace HybridCaching.Testing.Redis;

/// <summary>Redis Cluster key slots (CRC16/XMODEM of the key or its <c>{hash tag}</c>, mod 16384), for tests that need
/// keys on a given node or slot.</summary>
public static class RedisHashSlot
{
    /// <summary>The number of slots in a cluster.</summary>
    public const int Count = 16384;

    private static readonly Lazy<string[]> Tags = new(BuildTags);

    /// <summary>The slot of a key (UTF-8), honouring a non-empty <c>{hash tag}</c>.</summary>
    /// <param name="key">The key.</param>
    /// <returns>0..16383.</returns>
    public static int Of(string key)
    {
        var bytes = Encoding.UTF8.GetBytes(key);
        var open = Array.IndexOf(bytes, (byte)'{');
        if (open >= 0)
        {
            var close = Array.IndexOf(bytes, (byte)'}', open + 1);
            if (close > open + 1)
            {
                return Crc16(bytes.AsSpan(open + 1, close - open - 1)) % Count;
            }
        }

        return Crc16(bytes) % Count;
    }

    /// <summary>A key in the given slot: <c>{tag}suffix</c> with a short tag that hashes to it.</summary>
    /// <param name="slot">0..16383.</param>
    /// <param name="suffix">The rest of the key (makes keys in one slot distinct).</param>
    /// <returns>The key.</returns>
    public static string KeyIn(int slot, string suffix)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(slot);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(slot, Count);
        return "{" + Tags.Value[slot] + "}" + suffix;
    }

    private static string[] BuildTags()
    {
        var tags = new string?[Count];
        var left = Count;
        for (var i = 0; left > 0; i++)
        {
            var tag = i.ToString("x", CultureInfo.InvariantCulture);
            var slot = Crc16(Encoding.ASCII.GetBytes(tag)) % Count;
            if (tags[slot] is null)
            {
                tags[slot] = tag;
                left--;
            }
        }

        return tags!;
    }

    private static int Crc16(ReadOnlySpan<byte> data)
    {
        var crc = 0;
        foreach (var b in data)
        {
            crc ^= b << 8;
            for (var bit = 0; bit < 8; bit++)
            {
                crc = (crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1;
            }
        }

        return crc & 0xFFFF;
    }
}
