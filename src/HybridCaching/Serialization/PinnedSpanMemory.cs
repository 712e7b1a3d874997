using System.Buffers;

namespace HybridCaching.Serialization;

/// <summary>
/// Lends a span to APIs that read <see cref="ReadOnlyMemory{T}"/> (MessagePack-CSharp's reader) without copying it.
/// The caller pins the span (<c>fixed</c>), calls <see cref="Rent"/>, reads <see cref="MemoryManager{T}.Memory"/> while
/// the span stays pinned, and calls <see cref="Return"/> before unpinning. One instance is cached per thread, so this
/// allocates nothing in steady state.
/// </summary>
internal sealed unsafe class PinnedSpanMemory : MemoryManager<byte>
{
    [ThreadStatic]
    private static PinnedSpanMemory? t_cached;

    private byte* _pointer;
    private int _length;

    /// <summary>Wraps pinned memory (a nested call on the same thread gets its own instance).</summary>
    public static PinnedSpanMemory Rent(byte* pointer, int length)
    {
        PinnedSpanMemory memory = t_cached ?? new PinnedSpanMemory();
        t_cached = null;
        memory._pointer = pointer;
        memory._length = length;
        return memory;
    }

    /// <summary>Forgets the memory and gives the instance back to the thread.</summary>
    public static void Return(PinnedSpanMemory memory)
    {
        memory._pointer = null;
        memory._length = 0;
        t_cached = memory;
    }

    /// <inheritdoc/>
    public override Span<byte> GetSpan() => new(_pointer, _length);

    /// <inheritdoc/>
    public override MemoryHandle Pin(int elementIndex = 0) => new(_pointer + elementIndex);

    /// <inheritdoc/>
    public override void Unpin()
    {
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
    }
}
