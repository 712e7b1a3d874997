namespace HybridCaching.Serialization.MessagePack.Converters;

/// <summary>The untyped face of a converter, used where the type is only known at run time (values declared as <see cref="object"/>).</summary>
internal abstract class MessagePackConverter
{
    /// <summary>Writes a value whose run-time type is this converter's type.</summary>
    public abstract void WriteObject(ref MessagePackWriter writer, object? value);

    /// <summary>Reads a value and boxes it.</summary>
    public abstract object? ReadObject(ref MessagePackReader reader);
}

/// <summary>Writes and reads values of one type. One instance per type, built once and shared by all threads.</summary>
/// <typeparam name="T">The type.</typeparam>
internal abstract class MessagePackConverter<T> : MessagePackConverter
{
    /// <summary>Writes <paramref name="value"/>.</summary>
    public abstract void Write(ref MessagePackWriter writer, T value);

    /// <summary>Reads a value; malformed or mismatched data raises <see cref="MessagePackFormatException"/>.</summary>
    public abstract T Read(ref MessagePackReader reader);

    /// <inheritdoc/>
    public sealed override void WriteObject(ref MessagePackWriter writer, object? value) => Write(ref writer, (T)value!);

    /// <inheritdoc/>
    public sealed override object? ReadObject(ref MessagePackReader reader) => Read(ref reader);
}
