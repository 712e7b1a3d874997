using System.Buffers;
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

    // A native AOT app cannot emit code, which the default needs: its CacheFunc given no serializer still serves what needs
    // none (the HTTP caches), and a typed call fails naming the fix. A trimmed JIT app keeps the reflection path.
    [UnconditionalSuppressMessage("Trimming", "IL2026:RequiresUnreferencedCode", Justification = "Only a CacheFunc given no serializer uses the reflection default; native AOT apps get MissingSerializer, and docs/serialization.md tells trimmed apps to pass a serializer.")]
    [UnconditionalSuppressMessage("AOT", "IL3050:RequiresDynamicCode", Justification = "Reached only when RuntimeFeature.IsDynamicCodeSupported.")]
    private static ICacheSerializer DefaultSerializerOrMissing()
        => RuntimeFeature.IsDynamicCodeSupported ? DefaultSerializer : MissingSerializer.Instance;

    // A native AOT app's CacheFunc given no serializer: every typed value fails, naming the fix.
    private sealed class MissingSerializer : ICacheSerializer
    {
        public static readonly MissingSerializer Instance = new();

        public void Serialize<T>(T value, IBufferWriter<byte> destination) => throw Missing<T>();

        public T Deserialize<T>(ReadOnlySequence<byte> data) => throw Missing<T>();

        private static InvalidOperationException Missing<T>() => new(
            $"This CacheFunc has no serializer for {typeof(T)}: in a native AOT app the default (MessagePack by reflection) cannot run. " +
            "Pass one in CacheFuncOptions.Serializer, e.g. new SystemTextJsonCacheSerializer(MyJsonContext.Default).");
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
        return stored is not null && (CachePayload.TryRead(stored, out payload) || DecodeFailed<T>(key));
    }

    // An envelope's value as T; one the format cannot read (logged) is a miss.
    private bool TryRead<T, TFormat>(string key, in CachePayload payload, TFormat format, out T value)
        where TFormat : ICachePayloadFormat<T>
        => format.TryRead(payload, out value) || DecodeFailed<T>(key);

    // Logs an entry that cannot be read as T; false: it is a miss.
    private bool DecodeFailed<T>(string key)
    {
        Log.DecodeFailed(_logger, LoggedKey.Of(key), typeof(T).Name);
        return false;
    }
}
