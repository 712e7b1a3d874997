using System.Buffers.Binary;

namespace HybridCaching.Distributed;

// How CacheAdapterDistributedCache stores an entry (docs/distributed-cache.md): big-endian 'H' 'C' 'D' 0x01, int64 absolute
// expiry in Unix ms, int64 sliding window in ms (0 = none), then the value. Anything else read back is a miss.
internal readonly record struct DistributedEntry(DateTimeOffset? AbsoluteExpiration, TimeSpan? Sliding)
{
    public const int HeaderLength = 20;

    private static ReadOnlySpan<byte> Magic => "HCD\u0001"u8;

    public byte[] Write(ReadOnlySpan<byte> value)
    {
        var bytes = new byte[HeaderLength + value.Length];
        Magic.CopyTo(bytes);
        BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(4), AbsoluteExpiration?.ToUnixTimeMilliseconds() ?? 0);
        // A sliding window under a millisecond is kept as one: 0 would mean "no sliding".
        BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(12), Sliding is { } sliding ? Math.Max(1L, (long)sliding.TotalMilliseconds) : 0);
        value.CopyTo(bytes.AsSpan(HeaderLength));
        return bytes;
    }

    public static bool TryRead(ReadOnlySpan<byte> stored, out DistributedEntry entry)
    {
        entry = default;
        if (stored.Length < HeaderLength || !stored[..4].SequenceEqual(Magic))
        {
            return false;
        }

        var absolute = BinaryPrimitives.ReadInt64BigEndian(stored[4..]);
        var sliding = BinaryPrimitives.ReadInt64BigEndian(stored[12..]);
        if (absolute < 0 || absolute > DateTimeOffset.MaxValue.ToUnixTimeMilliseconds() || sliding < 0 || sliding > (long)TimeSpan.MaxValue.TotalMilliseconds)
        {
            return false;
        }

        entry = new DistributedEntry(
            absolute == 0 ? null : DateTimeOffset.FromUnixTimeMilliseconds(absolute),
            sliding == 0 ? null : TimeSpan.FromMilliseconds(sliding));
        return true;
    }

    // The sliding window capped by the absolute expiry; or the time left until it; or defaultTtl. Zero or less: expired.
    public TimeSpan TtlAt(DateTimeOffset now, TimeSpan defaultTtl)
    {
        var untilAbsolute = AbsoluteExpiration - now;
        var ttl = Sliding ?? untilAbsolute ?? defaultTtl;
        return untilAbsolute < ttl ? untilAbsolute.Value : ttl;
    }
}
