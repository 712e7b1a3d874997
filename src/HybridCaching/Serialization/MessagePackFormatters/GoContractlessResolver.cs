using System.Diagnostics.CodeAnalysis;
using MessagePack;
using MessagePack.Formatters;
using MessagePack.Resolvers;

namespace HybridCaching.Serialization.MessagePackFormatters;

/// <summary>
/// The resolver of <see cref="MessagePackCacheSerializer.DefaultOptions"/>: <see cref="GoCompatibleResolver"/>, then
/// <see cref="ContractlessStandardResolver"/> (attributed types as their attributes say, other types as maps keyed by
/// member name), with a limit on how deeply an object graph may nest when it is <em>written</em>.
/// </summary>
/// <remarks>
/// MessagePack-CSharp limits depth only when reading (<see cref="MessagePackSecurity.MaximumObjectGraphDepth"/>); without
/// a limit on writing, caching a cyclic graph would overflow the stack and end the process. Here formatters of reference
/// types (other than <see cref="string"/> and <c>byte[]</c>) count the nesting per thread and raise
/// <see cref="MessagePackSerializationException"/> beyond <see cref="MessagePackCacheSerializer.DefaultMaxDepth"/>.
/// </remarks>
public sealed class GoContractlessResolver : IFormatterResolver
{
    private const string ReflectionMessage = "ContractlessStandardResolver builds formatters by reflection and Reflection.Emit.";

    private GoContractlessResolver()
    {
    }

    /// <summary>Gets the resolver.</summary>
    public static GoContractlessResolver Instance
    {
        [RequiresUnreferencedCode(ReflectionMessage)]
        [RequiresDynamicCode(ReflectionMessage)]
        get;
    } = new();

    /// <inheritdoc/>
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "Reached only through Instance, which carries the requirement.")]
    [UnconditionalSuppressMessage("AOT", "IL3050", Justification = "As above.")]
    public IMessagePackFormatter<T>? GetFormatter<T>() => Cache<T>.Formatter;

    [RequiresUnreferencedCode(ReflectionMessage)]
    [RequiresDynamicCode(ReflectionMessage)]
    private static class Cache<T>
    {
        public static readonly IMessagePackFormatter<T>? Formatter = Create();

        private static IMessagePackFormatter<T>? Create()
        {
            IMessagePackFormatter<T>? formatter = GoCompatibleResolver.Instance.GetFormatter<T>()
                ?? ContractlessStandardResolver.Instance.GetFormatter<T>();
            bool leaf = typeof(T).IsValueType || typeof(T) == typeof(string) || typeof(T) == typeof(byte[]);
            return formatter is null || leaf ? formatter : new DepthLimited<T>(formatter);
        }
    }

    // The nesting of the graph being written on this thread: one counter for every type, so it is not in the generic class.
    [ThreadStatic]
    private static int t_writeDepth;

    private sealed class DepthLimited<T>(IMessagePackFormatter<T> inner) : IMessagePackFormatter<T>
    {
        public void Serialize(ref MessagePackWriter writer, T value, MessagePackSerializerOptions options)
        {
            if (value is null)
            {
                inner.Serialize(ref writer, value, options);
                return;
            }

            if (++t_writeDepth > MessagePackCacheSerializer.DefaultMaxDepth)
            {
                t_writeDepth--;
                throw new MessagePackSerializationException($"The object graph is deeper than {MessagePackCacheSerializer.DefaultMaxDepth} levels (or cyclic).");
            }

            try
            {
                inner.Serialize(ref writer, value, options);
            }
            finally
            {
                t_writeDepth--;
            }
        }

        public T Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options) => inner.Deserialize(ref reader, options);
    }
}
