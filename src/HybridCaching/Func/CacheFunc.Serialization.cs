using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
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

    // The serializer of a CacheFunc given none. A native AOT app cannot emit code, which the default needs, so there a
    // missing serializer is a clear error at construction instead of a failure on the first call (and the trimmer drops
    // MessagePack-CSharp's dynamic resolvers). A trimmed app that still JIT-compiles keeps the reflection path, as any
    // reflection serializer does: docs/serialization.md tells it to pass a serializer.
    [UnconditionalSuppressMessage("Trimming", "IL2026:RequiresUnreferencedCode", Justification = "Only a CacheFunc given no serializer uses the reflection default; native AOT apps get an exception instead, and docs/serialization.md tells trimmed apps to pass a serializer.")]
    [UnconditionalSuppressMessage("AOT", "IL3050:RequiresDynamicCode", Justification = "Reached only when RuntimeFeature.IsDynamicCodeSupported: a native AOT app gets the exception below.")]
    private static ICacheSerializer DefaultSerializerOrThrow()
    {
        if (RuntimeFeature.IsDynamicCodeSupported)
        {
            return DefaultSerializer;
        }

        throw new ArgumentException(
            "A CacheFunc needs a serializer in a native AOT app: the default (MessagePack with reflection) cannot run without dynamic code. " +
            "Pass one in CacheFuncOptions.Serializer, e.g. new SystemTextJsonCacheSerializer(MyJsonContext.Default).",
            "options");
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
