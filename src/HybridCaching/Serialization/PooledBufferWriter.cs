using System.Buffers;

namespace HybridCaching.Serialization;

/// <summary>
/// A growable <see cref="IBufferWriter{T}"/> over arrays rented from <see cref="ArrayPool{T}.Shared"/>,
/// with two instances cached per thread (a value's and its envelope's, in use at once) so serializing to a
/// <see cref="byte"/> array costs only the result.
/// </summary>
internal sealed class PooledBufferWriter : IBufferWriter<byte>
{
    private const int InitialSize = 512;

    /// <summary>A buffer that grew past this is returned to the pool rather than kept by the thread.</summary>
    private const int MaxRetainedSize = 1 << 20;

    [ThreadStatic]
    private static PooledBufferWriter? t_cached;

    [ThreadStatic]
    private static PooledBufferWriter? t_spare;

    private byte[] _buffer;
    private int _written;

    private PooledBufferWriter() => _buffer = ArrayPool<byte>.Shared.Rent(InitialSize);

    /// <summary>Gets the bytes written so far.</summary>
    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _written);

    /// <summary>Takes one of the thread's cached writers (or a new one when both are in use, e.g. re-entrantly).</summary>
    public static PooledBufferWriter Rent()
    {
        if (t_cached is { } cached)
        {
            t_cached = null;
            return cached;
        }

        PooledBufferWriter? spare = t_spare;
        t_spare = null;
        return spare ?? new PooledBufferWriter();
    }

    /// <summary>Clears the writer and gives it back to the thread.</summary>
    public static void Return(PooledBufferWriter writer)
    {
        writer._written = 0;
        bool retained = writer._buffer.Length <= MaxRetainedSize; // a grown buffer goes back to the pool, its writer with it
        if (retained && t_cached is null)
        {
            t_cached = writer;
        }
        else if (retained && t_spare is null)
        {
            t_spare = writer;
        }
        else
        {
            ArrayPool<byte>.Shared.Return(writer._buffer);
        }
    }

    /// <inheritdoc/>
    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (count > _buffer.Length - _written)
        {
            throw new InvalidOperationException("Cannot advance past the end of the buffer.");
        }

        _written += count;
    }

    /// <inheritdoc/>
    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsMemory(_written);
    }

    /// <inheritdoc/>
    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsSpan(_written);
    }

    private void Ensure(int sizeHint)
    {
        sizeHint = Math.Max(sizeHint, 1);
        if (sizeHint <= _buffer.Length - _written)
        {
            return;
        }

        long needed = (long)_written + sizeHint;
        long size = Math.Min(Math.Max(needed, (long)_buffer.Length * 2), Array.MaxLength);
        if (size < needed)
        {
            throw new OutOfMemoryException("The serialized value is larger than an array can hold.");
        }

        byte[] larger = ArrayPool<byte>.Shared.Rent((int)size);
        _buffer.AsSpan(0, _written).CopyTo(larger);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = larger;
    }
}
