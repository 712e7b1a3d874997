namespace HybridCaching;

/// <summary>
/// How <see cref="CacheFunc"/> turns a value into a payload envelope and back. The built-in formats put
/// serialized values (<c>DoAsync</c>) or raw bytes (<c>DoBytesAsync</c>) in <see cref="CachePayload.Value"/>;
/// the HTTP caches use one that also fills the envelope's status code and headers.
/// </summary>
/// <typeparam name="T">The value type.</typeparam>
internal interface ICachePayloadFormat<T>
{
    /// <summary>Encodes <paramref name="value"/> as a complete envelope (see <see cref="CachePayload.Write(DateTimeOffset, ReadOnlySpan{byte}, IEnumerable{KeyValuePair{string, IEnumerable{string}}}?, int)"/>).</summary>
    /// <param name="value">The value produced by the factory.</param>
    /// <param name="bestBefore">When the value goes stale; pass it on to the envelope.</param>
    /// <returns>The envelope bytes.</returns>
    byte[] Write(T value, DateTimeOffset bestBefore);

    /// <summary>Decodes the value from a well-formed envelope.</summary>
    /// <param name="payload">The envelope, already validated.</param>
    /// <param name="value">The decoded value.</param>
    /// <returns><see langword="false"/> when the envelope's content cannot be read as <typeparamref name="T"/>
    /// (the entry is then a cache miss); implementations do not throw.</returns>
    bool TryRead(scoped in CachePayload payload, out T value);

    /// <summary>The value to give the caller whose own factory produced <paramref name="produced"/> and wrote it as
    /// <paramref name="payload"/>: like <see cref="TryRead"/>, or <paramref name="produced"/> itself once the format knows
    /// its payloads of <typeparamref name="T"/> read back (no decode on a miss).</summary>
    /// <param name="produced">The factory's value.</param>
    /// <param name="payload">The envelope <see cref="Write"/> made of it.</param>
    /// <param name="value">The value for the caller.</param>
    /// <returns><see langword="false"/> when the payload cannot be read back.</returns>
    bool TryReadProduced(T produced, scoped in CachePayload payload, out T value);

    /// <summary>The exception to report when <see cref="TryRead"/> refuses a payload this format wrote itself (running
    /// the factory again would not help): one naming the type and the cause, or <see langword="null"/> when the format
    /// cannot tell (its refusals are then taken as "not shareable": the caller computes its own value).</summary>
    /// <param name="payload">The envelope <see cref="TryRead"/> refused.</param>
    /// <returns>The exception, or <see langword="null"/>.</returns>
    Exception? ExplainUnreadable(scoped in CachePayload payload) => null;

    /// <summary>Gets what a value this format decoded from a memory-level entry is kept under for reuse (see
    /// <see cref="ReusedValue{T}"/>): a later hit returns it without decoding only through a format with the same
    /// identity, i.e. one that would decode the same bytes to an equal value. <see langword="null"/> when values must
    /// be decoded on every hit (they may be modified by their readers).</summary>
    object? ReuseIdentity { get; }
}
