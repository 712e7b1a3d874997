namespace HybridCaching.Serialization.MessagePack;

/// <summary>
/// The one exception raised for malformed or unexpected MessagePack input: truncated data, a length
/// that exceeds the remaining bytes, the reserved byte <c>0xc1</c>, a value of the wrong family or out of
/// range for the requested type, nesting deeper than allowed, or an oversized collection.
/// </summary>
/// <remarks>Cached bytes come from a shared store, so callers treat this exception as "not a usable entry".</remarks>
public sealed class MessagePackFormatException : FormatException
{
    /// <summary>Creates an exception for a problem found at <paramref name="offset"/>.</summary>
    /// <param name="offset">The byte offset, from the start of the input, where the problem was found.</param>
    /// <param name="message">What is wrong, without the offset (it is appended).</param>
    /// <param name="innerException">The failure that caused this one, if any.</param>
    public MessagePackFormatException(long offset, string message, Exception? innerException = null)
        : base($"Invalid MessagePack data at offset {offset}: {message}", innerException)
    {
        Offset = offset;
    }

    /// <summary>Gets the byte offset, from the start of the input, where the problem was found.</summary>
    public long Offset { get; }
}
