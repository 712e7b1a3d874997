using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using HybridCaching.Serialization.MessagePackFormatters;
using MessagePack;
using MessagePack.Resolvers;

namespace HybridCaching.Serialization;

/// <summary>
/// The default <see cref="ICacheSerializer"/>: MessagePack through MessagePack-CSharp. Its <see cref="DefaultOptions"/> are
/// compatible with Go's <c>vmihailenco/msgpack</c> (so .NET and Go services can share cached values) and safe for
/// untrusted data; pass your own <see cref="MessagePackSerializerOptions"/> to bring your resolvers and formatters.
/// </summary>
/// <remarks>
/// <para>
/// With <see cref="DefaultOptions"/>, types without attributes are maps keyed by member name, <c>[MessagePackObject]</c>
/// types are written as their attributes say, and <see cref="GoCompatibleResolver"/> maps <see cref="DateTime"/>,
/// <see cref="DateTimeOffset"/>, <see cref="TimeSpan"/>, <see cref="Guid"/>, <see cref="decimal"/> and
/// <see cref="object"/> the way Go does. See <c>docs/serialization.md</c> for the exact mapping.
/// </para>
/// <para>
/// Cached bytes are untrusted input: every problem with the data — malformed, truncated, trailing bytes, too deep, of
/// the wrong shape — is reported as <see cref="MessagePackSerializationException"/>.
/// </para>
/// </remarks>
public sealed class MessagePackCacheSerializer : ICacheSerializer
{
    /// <summary>The deepest nesting of arrays, maps and objects the default options read.</summary>
    public const int DefaultMaxDepth = 64;

    private const string ReflectionMessage = "The default options resolve types without attributes by reflection and Reflection.Emit (MessagePack-CSharp's contractless resolver). For trimming and native AOT, pass options whose resolver is generated or written ahead of time.";

    // Published once (LazyInitializer): callers racing on first use all get the same instance (Default.Options is DefaultOptions).
    private static MessagePackSerializerOptions? s_defaultOptions;
    private static MessagePackCacheSerializer? s_default;

    /// <summary>Creates a serializer.</summary>
    /// <param name="options">The MessagePack-CSharp options (resolver, security, compression); see <see cref="DefaultOptions"/>.</param>
    public MessagePackCacheSerializer(MessagePackSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
    }

    /// <summary>
    /// Gets the Go-compatible, untrusted-data-safe options: <see cref="GoContractlessResolver"/> (<see cref="GoCompatibleResolver"/>
    /// before <see cref="ContractlessStandardResolver"/>, writing depth limited so a cyclic graph raises an exception rather
    /// than overflowing the stack), and <see cref="MessagePackSecurity.UntrustedData"/> (collision-resistant hashing) with
    /// the reading depth limited to <see cref="DefaultMaxDepth"/>.
    /// </summary>
    /// <remarks>
    /// To add your own formatters and keep these choices:
    /// <c>DefaultOptions.WithResolver(CompositeResolver.Create(yourResolver, GoContractlessResolver.Instance))</c>.
    /// </remarks>
    public static MessagePackSerializerOptions DefaultOptions
    {
        [RequiresUnreferencedCode(ReflectionMessage)]
        [RequiresDynamicCode(ReflectionMessage)]
        get => LazyInitializer.EnsureInitialized(ref s_defaultOptions, static () => MessagePackSerializerOptions.Standard
            .WithResolver(GoContractlessResolver.Instance)
            .WithSecurity(MessagePackSecurity.UntrustedData.WithMaximumObjectGraphDepth(DefaultMaxDepth)));
    }

    /// <summary>Gets a shared instance with <see cref="DefaultOptions"/>.</summary>
    public static MessagePackCacheSerializer Default
    {
        [RequiresUnreferencedCode(ReflectionMessage)]
        [RequiresDynamicCode(ReflectionMessage)]
        get => LazyInitializer.EnsureInitialized(ref s_default, static () => new MessagePackCacheSerializer(DefaultOptions));
    }

    /// <summary>Gets the options this serializer uses.</summary>
    public MessagePackSerializerOptions Options { get; }

    /// <inheritdoc/>
    /// <exception cref="MessagePackSerializationException">The value cannot be written (e.g. no formatter for its type).</exception>
    public void Serialize<T>(T value, IBufferWriter<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        MessagePackSerializer.Serialize(destination, value, Options);
    }

    /// <summary>Serializes <paramref name="value"/> into a new, exactly sized array (through a per-thread buffer).</summary>
    /// <typeparam name="T">The declared type of the value.</typeparam>
    /// <param name="value">The value; may be null.</param>
    /// <returns>The serialized bytes.</returns>
    /// <exception cref="MessagePackSerializationException">The value cannot be written (e.g. no formatter for its type).</exception>
    public byte[] Serialize<T>(T value) => MessagePackSerializer.Serialize(value, Options);

    /// <inheritdoc/>
    /// <exception cref="MessagePackSerializationException">The data is malformed, does not match <typeparamref name="T"/>, exceeds a limit, or has bytes left over.</exception>
    public T Deserialize<T>(ReadOnlySequence<byte> data)
        => data.IsSingleSegment ? Deserialize<T>(data.First) : DeserializeSegments<T>(data);

    // One block of memory (what a cache entry is) is read by a reader over memory, faster than one over a sequence. The
    // two paths build their readers in separate methods: one built conditionally runs slower than either.
    private T Deserialize<T>(ReadOnlyMemory<byte> data)
    {
        var reader = new MessagePackReader(data);
        T value = MessagePackSerializer.Deserialize<T>(ref reader, Options);
        return reader.End ? value : throw TrailingBytes<T>(data.Length - reader.Consumed);
    }

    private T DeserializeSegments<T>(ReadOnlySequence<byte> data)
    {
        var reader = new MessagePackReader(data);
        T value = MessagePackSerializer.Deserialize<T>(ref reader, Options);
        return reader.End ? value : throw TrailingBytes<T>(data.Length - reader.Consumed);
    }

    private static MessagePackSerializationException TrailingBytes<T>(long count) => new($"{count} bytes follow the {typeof(T)} value.");
}
