using System.Buffers;
using System.Text.Json;

namespace HybridCaching.Serialization;

/// <summary>An <see cref="ICacheSerializer"/> that writes UTF-8 JSON with System.Text.Json.</summary>
public sealed class SystemTextJsonCacheSerializer : ICacheSerializer
{
    private readonly JsonSerializerOptions _options;

    /// <summary>Creates a serializer.</summary>
    /// <param name="options">Serializer options; <see langword="null"/> for <see cref="JsonSerializerOptions.Default"/>.</param>
    public SystemTextJsonCacheSerializer(JsonSerializerOptions? options = null) => _options = options ?? JsonSerializerOptions.Default;

    /// <summary>A shared instance with default options.</summary>
    public static SystemTextJsonCacheSerializer Default { get; } = new();

    /// <inheritdoc/>
    public void Serialize<T>(T value, IBufferWriter<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        using var writer = new Utf8JsonWriter(destination);
        JsonSerializer.Serialize(writer, value, _options);
    }

    /// <inheritdoc/>
    public T Deserialize<T>(ReadOnlySpan<byte> data) => JsonSerializer.Deserialize<T>(data, _options)!;
}
