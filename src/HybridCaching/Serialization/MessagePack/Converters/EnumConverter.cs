using System.Runtime.CompilerServices;

namespace HybridCaching.Serialization.MessagePack.Converters;

/// <summary>Enums as their underlying integer (as Go writes its named integer types); values not declared in the enum are kept.</summary>
/// <typeparam name="TEnum">The enum type.</typeparam>
internal sealed class EnumConverter<TEnum> : MessagePackConverter<TEnum>
    where TEnum : struct, Enum
{
    private static readonly bool s_signed = Type.GetTypeCode(typeof(TEnum)) is TypeCode.SByte or TypeCode.Int16 or TypeCode.Int32 or TypeCode.Int64;

    public override void Write(ref MessagePackWriter writer, TEnum value)
    {
        switch (Unsafe.SizeOf<TEnum>())
        {
            case 1:
                if (s_signed)
                {
                    writer.WriteInt64(Unsafe.As<TEnum, sbyte>(ref value));
                }
                else
                {
                    writer.WriteUInt64(Unsafe.As<TEnum, byte>(ref value));
                }

                break;
            case 2:
                if (s_signed)
                {
                    writer.WriteInt64(Unsafe.As<TEnum, short>(ref value));
                }
                else
                {
                    writer.WriteUInt64(Unsafe.As<TEnum, ushort>(ref value));
                }

                break;
            case 4:
                if (s_signed)
                {
                    writer.WriteInt64(Unsafe.As<TEnum, int>(ref value));
                }
                else
                {
                    writer.WriteUInt64(Unsafe.As<TEnum, uint>(ref value));
                }

                break;
            default:
                if (s_signed)
                {
                    writer.WriteInt64(Unsafe.As<TEnum, long>(ref value));
                }
                else
                {
                    writer.WriteUInt64(Unsafe.As<TEnum, ulong>(ref value));
                }

                break;
        }
    }

    public override TEnum Read(ref MessagePackReader reader)
    {
        TEnum value = default;
        switch (Unsafe.SizeOf<TEnum>())
        {
            case 1:
                if (s_signed)
                {
                    Unsafe.As<TEnum, sbyte>(ref value) = reader.ReadSByte();
                }
                else
                {
                    Unsafe.As<TEnum, byte>(ref value) = reader.ReadByte();
                }

                break;
            case 2:
                if (s_signed)
                {
                    Unsafe.As<TEnum, short>(ref value) = reader.ReadInt16();
                }
                else
                {
                    Unsafe.As<TEnum, ushort>(ref value) = reader.ReadUInt16();
                }

                break;
            case 4:
                if (s_signed)
                {
                    Unsafe.As<TEnum, int>(ref value) = reader.ReadInt32();
                }
                else
                {
                    Unsafe.As<TEnum, uint>(ref value) = reader.ReadUInt32();
                }

                break;
            default:
                if (s_signed)
                {
                    Unsafe.As<TEnum, long>(ref value) = reader.ReadInt64();
                }
                else
                {
                    Unsafe.As<TEnum, ulong>(ref value) = reader.ReadUInt64();
                }

                break;
        }

        return value;
    }
}

/// <summary><see cref="Nullable{T}"/>: nil or the value.</summary>
/// <typeparam name="T">The underlying type.</typeparam>
internal sealed class NullableConverter<T> : MessagePackConverter<T?>
    where T : struct
{
    private readonly MessagePackConverter<T> _inner;

    public NullableConverter(MessagePackConverter<T> inner) => _inner = inner;

    public override void Write(ref MessagePackWriter writer, T? value)
    {
        if (value.HasValue)
        {
            _inner.Write(ref writer, value.GetValueOrDefault());
        }
        else
        {
            writer.WriteNil();
        }
    }

    public override T? Read(ref MessagePackReader reader) => reader.TryReadNil() ? null : _inner.Read(ref reader);
}
