namespace HybridCaching.AspNetCore;

/// <summary>A growable byte buffer that never holds more than its limit: the first write that would pass the
/// limit drops everything (the response is then not cacheable) and later writes are ignored.</summary>
internal sealed class CaptureBuffer(long limit)
{
    private byte[]? _buffer = [];
    private int _length;

    /// <summary>Gets a value indicating whether everything written so far is held.</summary>
    public bool IsCapturing => _buffer is not null;

    /// <summary>Gets what was written; empty once capturing stopped.</summary>
    public ReadOnlyMemory<byte> Written => _buffer is null ? ReadOnlyMemory<byte>.Empty : _buffer.AsMemory(0, _length);

    public void Append(ReadOnlySpan<byte> data)
    {
        if (_buffer is null || data.IsEmpty)
        {
            return;
        }

        long needed = (long)_length + data.Length;
        if (needed > limit)
        {
            Stop();
            return;
        }

        if (needed > _buffer.Length)
        {
            long grown = Math.Max(needed, Math.Max(4096, (long)_buffer.Length * 2));
            Array.Resize(ref _buffer, (int)Math.Min(grown, limit));
        }

        data.CopyTo(_buffer.AsSpan(_length));
        _length += data.Length;
    }

    /// <summary>Makes room for <paramref name="length"/> bytes in all (a declared <c>Content-Length</c>), so the
    /// buffer is allocated once instead of growing; ignored past the limit.</summary>
    public void Reserve(long length)
    {
        if (_buffer is not null && length > _buffer.Length && length <= limit)
        {
            Array.Resize(ref _buffer, (int)length);
        }
    }

    /// <summary>Drops what was held; nothing more is captured.</summary>
    public void Stop()
    {
        _buffer = null;
        _length = 0;
    }
}
