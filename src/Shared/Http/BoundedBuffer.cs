namespace HybridCaching.Http;

// A growable byte buffer whose storage never exceeds its limit (a MemoryStream doubles past it). Once stopped (Stop, or
// Append past the limit) it holds and takes nothing.
internal sealed class BoundedBuffer(long limit)
{
    private byte[]? _buffer = [];
    private int _length;

    public bool IsCapturing => _buffer is not null;

    public ReadOnlyMemory<byte> Written => _buffer.AsMemory(0, _length);

    // Appends data unless that would pass the limit (false: nothing appended) or the buffer was stopped.
    public bool TryAppend(ReadOnlySpan<byte> data)
    {
        long needed = (long)_length + data.Length;
        if (_buffer is null || needed > limit)
        {
            return false;
        }

        if (needed > _buffer.Length)
        {
            Array.Resize(ref _buffer, (int)Math.Min(Math.Max(needed, Math.Max(4096, (long)_buffer.Length * 2)), limit));
        }

        data.CopyTo(_buffer.AsSpan(_length));
        _length += data.Length;
        return true;
    }

    // Appends data, or stops for good once that would pass the limit.
    public void Append(ReadOnlySpan<byte> data)
    {
        if (!TryAppend(data))
        {
            Stop();
        }
    }

    // Makes room for length bytes in all (a declared Content-Length), so the buffer is allocated once; ignored past the limit.
    public void Reserve(long length)
    {
        if (_buffer is not null && length > _buffer.Length && length <= limit)
        {
            Array.Resize(ref _buffer, (int)length);
        }
    }

    public void Stop()
    {
        _buffer = null;
        _length = 0;
    }
}
