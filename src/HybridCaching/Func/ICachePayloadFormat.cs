namespace HybridCaching;

/// <summary>
/// How <see cref="CacheFunc"/> turns a value into a payload envelope and back. The built-in formats put
/// serialized values (<c>DoAsync</c>) or raw bytes (<c>DoBytesAsync</c>) in <see cref="CachePayload.Value"/>;
/// the HTTP caches use one that also fills the envelope's status code and headers.
/// </summary>
/// <typeparam name="T">The value type.</typeparam>
internal interface ICachePayloadFormat<T>
{
    /// <summary>Encodes <paramref name="value"/> as a complete envelope whose best-before time is <paramref name="bestBefore"/>.</summary>
    byte[] Write(T value, DateTimeOffset bestBefore);

    /// <summary>Decodes the value from a validated envelope; <see langword="false"/> (never an exception) when its content
    /// cannot be read as <typeparamref name="T"/>, and the entry is then a miss.</summary>
    bool TryRead(scoped in CachePayload payload, out T value);

    /// <summary>The value for the caller whose own factory produced <paramref name="produced"/>, written as
    /// <paramref name="payload"/>: like <see cref="TryRead"/>, or <paramref name="produced"/> itself once the format knows
    /// its payloads of <typeparamref name="T"/> read back (no decode on a miss).</summary>
    bool TryReadProduced(T produced, scoped in CachePayload payload, out T value);

    /// <summary>The exception to report when <see cref="TryRead"/> refuses a payload this format wrote itself (running
    /// the factory again would not help), or <see langword="null"/> when the format cannot tell (the caller then computes
    /// its own value).</summary>
    Exception? ExplainUnreadable(scoped in CachePayload payload) => null;

    /// <summary>Gets what a value this format decoded from a local entry is kept under for reuse (<see cref="ReusedValue{T}"/>):
    /// a later hit returns it without decoding only through a format of the same identity, one that would decode the same
    /// bytes to an equal value. <see langword="null"/> when values must be decoded on every hit (readers may modify them).</summary>
    object? ReuseIdentity { get; }
}
