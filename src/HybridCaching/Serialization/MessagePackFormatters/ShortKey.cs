using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using MessagePack;

namespace HybridCaching.Serialization.MessagePackFormatters;

/// <summary>
/// Keys of up to <see cref="MaxLength"/> bytes handled as two 8-byte words, so that writing or comparing one is a couple
/// of loads and stores instead of a call to copy or compare bytes. Words are in the machine's byte order, read and
/// written the same way, so the bytes are the same on any machine.
/// </summary>
internal static class ShortKey
{
    /// <summary>The longest key handled as words.</summary>
    public const int MaxLength = 16;

    /// <summary>The words <see cref="Write"/> stores for <paramref name="key"/>: its bytes, zero-padded to 16.</summary>
    /// <param name="key">At most <see cref="MaxLength"/> bytes.</param>
    /// <returns>The first and the second eight bytes.</returns>
    public static (ulong Head, ulong Tail) Padded(ReadOnlySpan<byte> key)
    {
        Span<byte> padded = stackalloc byte[MaxLength];
        padded.Clear();
        key.CopyTo(padded);
        return (MemoryMarshal.Read<ulong>(padded), MemoryMarshal.Read<ulong>(padded[8..]));
    }

    /// <summary>Writes a key given as its <see cref="Padded"/> words.</summary>
    /// <param name="writer">The writer.</param>
    /// <param name="head">The first word.</param>
    /// <param name="tail">The second word.</param>
    /// <param name="length">The key's length; the padding beyond it is not kept.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Write(ref MessagePackWriter writer, ulong head, ulong tail, int length)
    {
        ref byte first = ref MemoryMarshal.GetReference(writer.GetSpan(MaxLength));
        Unsafe.WriteUnaligned(ref first, head);
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref first, 8), tail);
        writer.Advance(length);
    }

    /// <summary>Two words that are equal for two keys of the same length (at most <see cref="MaxLength"/>) exactly when
    /// their bytes are: the first and the last 8, 4, 2 or 1 bytes (overlapping for lengths in between).</summary>
    /// <param name="key">At most <see cref="MaxLength"/> bytes.</param>
    /// <returns>The two words.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (ulong Head, ulong Tail) Ends(ReadOnlySpan<byte> key)
    {
        ref byte first = ref MemoryMarshal.GetReference(key);
        int length = key.Length;
        return length >= 8 ? (Unsafe.ReadUnaligned<ulong>(ref first), Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref first, length - 8)))
            : length >= 4 ? (Unsafe.ReadUnaligned<uint>(ref first), Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref first, length - 4)))
            : length >= 2 ? (Unsafe.ReadUnaligned<ushort>(ref first), Unsafe.ReadUnaligned<ushort>(ref Unsafe.Add(ref first, length - 2)))
            : length == 1 ? (first, first)
            : (0UL, 0UL);
    }
}
