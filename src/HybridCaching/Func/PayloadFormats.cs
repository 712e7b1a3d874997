using System.Buffers;
using HybridCaching.Serialization;

namespace HybridCaching;

/// <summary>Values serialized with an <see cref="ICacheSerializer"/> (<c>DoAsync</c>); a struct, so the hit path allocates nothing for it.</summary>
/// <param name="serializer">Turns values into bytes and back.</param>
/// <param name="reuse">Whether decoded values may be reused across hits (immutable types, or <see cref="CacheFuncOptions.ReuseValues"/>).</param>
internal readonly struct SerializerPayloadFormat<T>(ICacheSerializer serializer, bool reuse) : ICachePayloadFormat<T>
{
    public object? ReuseIdentity => reuse ? serializer : null;

    public byte[] Write(T value, DateTimeOffset bestBefore)
    {
        var buffer = PooledBufferWriter.Rent();
        try
        {
            serializer.Serialize(value, buffer);
            return CachePayload.Write(bestBefore, buffer.WrittenSpan);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw Failure("cannot write it", ex);
        }
        finally
        {
            PooledBufferWriter.Return(buffer);
        }
    }

    public bool TryRead(scoped in CachePayload payload, out T value) => Deserialize(payload, out value) is null;

    // The producer keeps its own instance once this serializer has read a T back: a type it writes but cannot read
    // (MessagePack-CSharp and a dictionary keyed by DateOnly) is still decoded, and refused, on every miss.
    public bool TryReadProduced(T produced, scoped in CachePayload payload, out T value)
    {
        if (ReferenceEquals(ReadBack.VerifiedWith, serializer))
        {
            value = produced;
            return true;
        }

        if (!TryRead(payload, out value))
        {
            return false;
        }

        ReadBack.VerifiedWith = serializer;
        return true;
    }

    public Exception? ExplainUnreadable(scoped in CachePayload payload)
        => Deserialize(payload, out _) is { } ex ? Failure("wrote it but cannot read it back", ex) : null;

    private Exception? Deserialize(scoped in CachePayload payload, out T value)
    {
        try
        {
            value = serializer.Deserialize<T>(new ReadOnlySequence<byte>(payload.ValueMemory));
            return null;
        }
#pragma warning disable CA1031 // whatever a serializer throws on foreign bytes, the entry is a miss (the exception is its cause)
        catch (Exception ex)
#pragma warning restore CA1031
        {
            value = default!;
            return ex;
        }
    }

    // Serializers wrap the reason in layers (MessagePack-CSharp: "Failed to deserialize …" around a type initializer's
    // failure around the cause): the innermost exception is the one that says what is wrong.
    private InvalidOperationException Failure(string what, Exception ex)
    {
        var cause = ex.GetBaseException();
        var name = serializer.GetType().Name;
        return new InvalidOperationException(
            $"Cannot cache a value of type {typeof(T)}: {name} {what}: {cause.Message.TrimEnd('.')}. See docs/serialization.md for the types {name} supports.",
            cause);
    }

    // The serializer last seen reading a T back (per T; another serializer is checked again).
    private static class ReadBack
    {
        public static volatile ICacheSerializer? VerifiedWith;
    }
}

/// <summary>Raw bytes stored as they are (<c>DoBytesAsync</c>, as the Go original's DoBytes); null is stored as empty.</summary>
internal readonly struct RawBytesPayloadFormat : ICachePayloadFormat<byte[]>
{
    // Each caller gets its own copy of the bytes: an array can be modified.
    public object? ReuseIdentity => null;

    public byte[] Write(byte[] value, DateTimeOffset bestBefore) => CachePayload.Write(bestBefore, value);

    public bool TryRead(scoped in CachePayload payload, out byte[] value)
    {
        value = payload.Value.ToArray();
        return true;
    }

    public bool TryReadProduced(byte[] produced, scoped in CachePayload payload, out byte[] value) => TryRead(payload, out value);
}
