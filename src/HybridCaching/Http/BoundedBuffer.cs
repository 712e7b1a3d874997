namespace HybridCaching.Http;

/// <summary>A growable byte buffer whose storage never exceeds its limit (a plain <see cref="MemoryStream"/>
/// doubles past it).</summary>
internal sealed class BoundedBuffer(long limit, long expectedLength = 0)
{
    private byte[] _buffer = expectedLength > 0 ? new byte[Math.Min(expectedLength, limit)] : [];
    private int _length;

    /// <summary>Gets what was written.</summary>
    public ReadOnlyMemory<byte> Written => _buffer.AsMemory(0, _length);

    /// <summary>Appends <paramref name="data"/> unless that would pass the limit.</summary>
    /// <returns><see langword="false"/> (and nothing appended) when the limit would be passed.</returns>
    public bool TryAppend(ReadOnlySpan<byte> data)
    {
        long needed = (long)_length + data.Length;
        if (needed > limit)
        {
            return false;
        }

        if (needed > _buffer.Length)
        {
            long grown = Math.Max(needed, Math.Max(4096, (long)_buffer.Length * 2));
            Array.Resize(ref _buffer, (int)Math.Min(grown, limit));
        }

        data.CopyTo(_buffer.AsSpan(_length));
        _length += data.Length;
        return true;
    }
}
