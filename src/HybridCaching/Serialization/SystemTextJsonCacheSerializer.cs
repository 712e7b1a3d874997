using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace HybridCaching.Serialization;

/// <summary>An <see cref="ICacheSerializer"/> that writes UTF-8 JSON with System.Text.Json.</summary>
/// <remarks>
/// Built on a source-generated <see cref="JsonSerializerContext"/> it uses no reflection, so it is the route for
/// trimmed and native AOT applications: <c>new SystemTextJsonCacheSerializer(MyJsonContext.Default)</c>.
/// </remarks>
public sealed class SystemTextJsonCacheSerializer : ICacheSerializer
{
    private const string ReflectionMessage = "JsonSerializerOptions.Default resolves types by reflection. For trimming and native AOT, pass a source-generated JsonSerializerContext.";

    private static SystemTextJsonCacheSerializer? s_default;

    private readonly JsonSerializerOptions _options;

    /// <summary>Creates a serializer.</summary>
    /// <param name="options">Serializer options (with a <see cref="JsonSerializerOptions.TypeInfoResolver"/>, or reflection-based defaults).</param>
    public SystemTextJsonCacheSerializer(JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
    }

    /// <summary>Creates a serializer on a source-generated context: no reflection, safe for trimming and native AOT.</summary>
    /// <param name="context">The generated context; every cached type must be declared on it (<c>[JsonSerializable]</c>).</param>
    public SystemTextJsonCacheSerializer(JsonSerializerContext context)
        : this(context?.Options ?? throw new ArgumentNullException(nameof(context)))
    {
    }

    /// <summary>Gets a shared instance with <see cref="JsonSerializerOptions.Default"/> (reflection-based).</summary>
    public static SystemTextJsonCacheSerializer Default
    {
        [RequiresUnreferencedCode(ReflectionMessage)]
        [RequiresDynamicCode(ReflectionMessage)]
        get => s_default ??= new SystemTextJsonCacheSerializer(JsonSerializerOptions.Default);
    }

    /// <inheritdoc/>
    /// <exception cref="NotSupportedException">The options know no contract for <typeparamref name="T"/> (e.g. a context that does not declare it).</exception>
    public void Serialize<T>(T value, IBufferWriter<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        using var writer = new Utf8JsonWriter(destination);
        JsonSerializer.Serialize(writer, value, TypeInfo<T>());
    }

    /// <inheritdoc/>
    /// <exception cref="JsonException">The data is not JSON of <typeparamref name="T"/>.</exception>
    /// <exception cref="NotSupportedException">The options know no contract for <typeparamref name="T"/>.</exception>
    public T Deserialize<T>(ReadOnlySequence<byte> data)
    {
        var reader = new Utf8JsonReader(data);
        var value = JsonSerializer.Deserialize(ref reader, TypeInfo<T>())!;

        // Like a whole-buffer read, anything but whitespace after the value is an error (a second value throws in Read).
        return reader.Read() ? throw new JsonException($"Data follows the {typeof(T)} value.") : value;
    }

    private JsonTypeInfo<T> TypeInfo<T>() => (JsonTypeInfo<T>)_options.GetTypeInfo(typeof(T));
}
