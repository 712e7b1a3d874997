using System.Diagnostics.CodeAnalysis;
using HybridCaching.Serialization;

namespace HybridCaching;

// Serialization: the default serializer, and stored bytes read as envelopes and values (unreadable ones are misses).
public sealed partial class CacheFunc
{
    /// <summary>Gets the serializer used when none is given: <see cref="MessagePackCacheSerializer.Default"/>, readable by the Go original.</summary>
    /// <remarks>Reflection-based; for trimming and native AOT give the <see cref="CacheFunc"/> a serializer (see <c>docs/serialization.md</c>).</remarks>
    public static ICacheSerializer DefaultSerializer
    {
        [RequiresUnreferencedCode("MessagePackCacheSerializer.Default resolves types by reflection and Reflection.Emit; pass an AOT-safe serializer instead.")]
        [RequiresDynamicCode("MessagePackCacheSerializer.Default resolves types by reflection and Reflection.Emit; pass an AOT-safe serializer instead.")]
        get => MessagePackCacheSerializer.Default;
    }

    // The format of DoAsync's serialized values; they are reused across memory hits when immutable or when asked to.
    private SerializerPayloadFormat<T> SerializerFormat<T>() => new(_serializer, _reuseAll || ImmutableType<T>.Value);

    // A value this process produced that its format cannot read back: the format's reason (a serializer's, naming the
    // type and its cause) when it has one.
    private static Exception Unreadable<T, TFormat>(string key, bool parsed, in CachePayload payload, TFormat format)
        where TFormat : ICachePayloadFormat<T>
        => (parsed ? format.ExplainUnreadable(payload) : null)
            ?? new InvalidOperationException($"The payload format for {typeof(T)} cannot read back what it wrote for key '{key}'.");

    // Stored bytes as an envelope; none, or unreadable ones (logged), are a miss.
    private bool TryParse<T>(string key, byte[]? stored, out CachePayload payload)
    {
        payload = default;
        if (stored is null)
        {
            return false;
        }

        if (CachePayload.TryRead(stored, out payload))
        {
            return true;
        }

        Log.DecodeFailed(_logger, key, typeof(T).Name);
        return false;
    }

    // An envelope's value as T; one the format cannot read (logged) is a miss.
    private bool TryRead<T, TFormat>(string key, in CachePayload payload, TFormat format, out T value)
        where TFormat : ICachePayloadFormat<T>
    {
        if (format.TryRead(payload, out value))
        {
            return true;
        }

        Log.DecodeFailed(_logger, key, typeof(T).Name);
        return false;
    }
}
