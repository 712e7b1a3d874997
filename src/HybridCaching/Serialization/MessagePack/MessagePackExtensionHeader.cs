namespace HybridCaching.Serialization.MessagePack;

/// <summary>The header of a MessagePack extension value: its type code and payload length.</summary>
/// <param name="TypeCode">The extension type; negative values are reserved by the specification (−1 is the timestamp).</param>
/// <param name="Length">The payload length in bytes.</param>
public readonly record struct MessagePackExtensionHeader(sbyte TypeCode, int Length);
