using System.Text;
using MessagePack;
using MessagePack.Formatters;

namespace HybridCaching.Serialization.MessagePackFormatters;

/// <summary>
/// <see cref="string"/> as str (UTF-8), as MessagePack-CSharp writes it; reading also accepts bin, which Go reads
/// interchangeably with str (a Go <c>[]byte</c> field read into a .NET string). Invalid UTF-8 becomes U+FFFD.
/// </summary>
internal sealed class GoStringFormatter : IMessagePackFormatter<string?>
{
    /// <summary>Gets the formatter (it has no state).</summary>
    public static GoStringFormatter Instance { get; } = new();

    /// <inheritdoc/>
    public void Serialize(ref MessagePackWriter writer, string? value, MessagePackSerializerOptions options) => writer.Write(value);

    /// <inheritdoc/>
    public string? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options) =>
        reader.NextMessagePackType == MessagePackType.Binary ? Encoding.UTF8.GetString(reader.ReadBytes()!.Value) : reader.ReadString();
}
