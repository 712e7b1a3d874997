using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Reflection.Emit;
using System.Runtime.CompilerServices;
using MessagePack;
using MessagePack.Formatters;
using MessagePack.Internal;

namespace HybridCaching.Serialization.MessagePackFormatters;

/// <summary>Writes the members of a plain class (after the map header, which the caller writes).</summary>
/// <typeparam name="T">The class.</typeparam>
/// <param name="state">The members' formatters for the options' resolver.</param>
/// <param name="writer">The writer.</param>
/// <param name="value">The value, not null.</param>
/// <param name="options">The options.</param>
internal delegate void PlainClassWriter<T>(PlainClassState state, ref MessagePackWriter writer, T value, MessagePackSerializerOptions options);

/// <summary>Reads a plain class from its map, counting one level of depth (the caller has handled nil).</summary>
/// <typeparam name="T">The class.</typeparam>
/// <param name="state">The members' formatters for the options' resolver.</param>
/// <param name="reader">The reader.</param>
/// <param name="options">The options.</param>
/// <returns>The value.</returns>
internal delegate T PlainClassReader<T>(PlainClassState state, ref MessagePackReader reader, MessagePackSerializerOptions options);

/// <summary>
/// Emits, once per plain class, the methods that write and read its members: the code MessagePack-CSharp's contractless
/// formatter runs, except that the members' formatters come resolved from a <see cref="PlainClassState"/> (contractless
/// asks the resolver for them on every member of every object), keys of up to 16 bytes are written as two word stores,
/// and a key read back in the order it was written is matched with one comparison.
/// </summary>
[RequiresDynamicCode("Emits IL.")]
[RequiresUnreferencedCode("Reads the members of the class by reflection.")]
internal sealed class PlainClassEmitter
{
    private static readonly MethodInfo WriteRaw = typeof(MessagePackWriter).GetMethod(nameof(MessagePackWriter.WriteRaw), [typeof(ReadOnlySpan<byte>)])!;
    private static readonly MethodInfo WriteShortKey = typeof(ShortKey).GetMethod(nameof(ShortKey.Write))!;
    private static readonly MethodInfo WriteByteArray = typeof(PlainClassEmitter).GetMethod(nameof(WriteBytes), BindingFlags.NonPublic | BindingFlags.Static)!;
    private static readonly MethodInfo AsSpan = typeof(ReadOnlySpan<byte>).GetMethod("op_Implicit", [typeof(byte[])])!;
    private static readonly MethodInfo ReadMapHeader = typeof(MessagePackReader).GetMethod(nameof(MessagePackReader.ReadMapHeader), Type.EmptyTypes)!;
    private static readonly MethodInfo GetSecurity = typeof(MessagePackSerializerOptions).GetProperty(nameof(MessagePackSerializerOptions.Security))!.GetMethod!;
    private static readonly MethodInfo DepthStep = typeof(MessagePackSecurity).GetMethod(nameof(MessagePackSecurity.DepthStep))!;
    private static readonly MethodInfo GetDepth = typeof(MessagePackReader).GetProperty(nameof(MessagePackReader.Depth))!.GetMethod!;
    private static readonly MethodInfo SetDepth = typeof(MessagePackReader).GetProperty(nameof(MessagePackReader.Depth))!.SetMethod!;
    private static readonly MethodInfo Skip = typeof(MessagePackReader).GetMethod(nameof(MessagePackReader.Skip), Type.EmptyTypes)!;
    private static readonly MethodInfo ReadKey = typeof(CodeGenHelpers).GetMethod(nameof(CodeGenHelpers.ReadStringSpan))!;
    private static readonly MethodInfo ReadByteArray = typeof(PlainClassEmitter).GetMethod(nameof(ReadBytes), BindingFlags.NonPublic | BindingFlags.Static)!;
    private static readonly MethodInfo Match = typeof(PlainClassState).GetMethod(nameof(PlainClassState.Match))!;
    private static readonly MethodInfo Formatters = typeof(PlainClassState).GetProperty(nameof(PlainClassState.Formatters))!.GetMethod!;
    private static readonly MethodInfo Keys = typeof(PlainClassState).GetProperty(nameof(PlainClassState.Keys))!.GetMethod!;
    private static readonly MethodInfo As = typeof(Unsafe).GetMethod(nameof(Unsafe.As), 1, [typeof(object)])!;

    private readonly Type _type;
    private readonly PropertyInfo[] _members;
    private readonly byte[][] _keys;

    private PlainClassEmitter(Type type, PropertyInfo[] members, byte[][] keys)
    {
        _type = type;
        _members = members;
        _keys = keys;
    }

    /// <summary>Emits the writer and reader of <typeparamref name="T"/>.</summary>
    /// <typeparam name="T">The plain class.</typeparam>
    /// <param name="members">Its members, from <see cref="PlainClassShape.TryGetMembers"/>.</param>
    /// <param name="keys">Their keys as written (<see cref="PlainClassState.Keys"/>): short ones become constants.</param>
    /// <returns>The two methods.</returns>
    public static (PlainClassWriter<T> Write, PlainClassReader<T> Read) Emit<T>(PropertyInfo[] members, byte[][] keys)
    {
        var emitter = new PlainClassEmitter(typeof(T), members, keys);
        return (emitter.EmitWriter<T>(), emitter.EmitReader<T>());
    }

    private PlainClassWriter<T> EmitWriter<T>()
    {
        var method = new DynamicMethod($"Write{_type.Name}", typeof(void), [typeof(PlainClassState), typeof(MessagePackWriter).MakeByRefType(), _type, typeof(MessagePackSerializerOptions)], typeof(PlainClassEmitter).Module, skipVisibility: true);
        ILGenerator il = method.GetILGenerator();
        for (int i = 0; i < _members.Length; i++)
        {
            PropertyInfo member = _members[i];
            Type type = member.PropertyType;

            // ShortKey.Write(ref writer, head, tail, length), or writer.WriteRaw(state.Keys[i]) for a long key.
            byte[] key = _keys[i];
            il.Emit(OpCodes.Ldarg_1);
            if (key.Length <= ShortKey.MaxLength)
            {
                (ulong head, ulong tail) = ShortKey.Padded(key);
                il.Emit(OpCodes.Ldc_I8, unchecked((long)head));
                il.Emit(OpCodes.Ldc_I8, unchecked((long)tail));
                il.Emit(OpCodes.Ldc_I4, key.Length);
                il.Emit(OpCodes.Call, WriteShortKey);
            }
            else
            {
                LoadElement(il, Keys, i);
                il.Emit(OpCodes.Call, AsSpan);
                il.Emit(OpCodes.Call, WriteRaw);
            }

            if (type == typeof(byte[]))
            {
                // PlainClassEmitter.WriteBytes(ref writer, value.Member);
                il.Emit(OpCodes.Ldarg_1);
                il.Emit(OpCodes.Ldarg_2);
                il.Emit(OpCodes.Callvirt, member.GetMethod!);
                il.Emit(OpCodes.Call, WriteByteArray);
            }
            else if (PlainClassShape.IsDirect(type))
            {
                // writer.Write(value.Member);
                il.Emit(OpCodes.Ldarg_1);
                il.Emit(OpCodes.Ldarg_2);
                il.Emit(OpCodes.Callvirt, member.GetMethod!);
                il.Emit(OpCodes.Call, typeof(MessagePackWriter).GetMethod(nameof(MessagePackWriter.Write), [type])!);
            }
            else
            {
                // Unsafe.As<IMessagePackFormatter<TMember>>(state.Formatters[i]).Serialize(ref writer, value.Member, options);
                LoadFormatter(il, i, out Type contract);
                il.Emit(OpCodes.Ldarg_1);
                il.Emit(OpCodes.Ldarg_2);
                il.Emit(OpCodes.Callvirt, member.GetMethod!);
                il.Emit(OpCodes.Ldarg_3);
                il.Emit(OpCodes.Callvirt, contract.GetMethod(nameof(IMessagePackFormatter<int>.Serialize))!);
            }
        }

        il.Emit(OpCodes.Ret);
        return (PlainClassWriter<T>)method.CreateDelegate(typeof(PlainClassWriter<T>));
    }

    private PlainClassReader<T> EmitReader<T>()
    {
        var method = new DynamicMethod($"Read{_type.Name}", _type, [typeof(PlainClassState), typeof(MessagePackReader).MakeByRefType(), typeof(MessagePackSerializerOptions)], typeof(PlainClassEmitter).Module, skipVisibility: true);
        ILGenerator il = method.GetILGenerator();
        LocalBuilder count = il.DeclareLocal(typeof(int));
        LocalBuilder value = il.DeclareLocal(_type);
        LocalBuilder index = il.DeclareLocal(typeof(int));
        Label loop = il.DefineLabel();
        Label next = il.DefineLabel();
        Label check = il.DefineLabel();
        Label[] cases = [.. _members.Select(_ => il.DefineLabel())];

        // In contractless's order: T value = new T(); options.Security.DepthStep(ref reader); int count = reader.ReadMapHeader();
        il.Emit(OpCodes.Newobj, _type.GetConstructor(Type.EmptyTypes)!);
        il.Emit(OpCodes.Stloc, value);
        il.Emit(OpCodes.Ldarg_2);
        il.Emit(OpCodes.Callvirt, GetSecurity);
        il.Emit(OpCodes.Ldarg_1);
        il.Emit(OpCodes.Callvirt, DepthStep);
        il.Emit(OpCodes.Ldarg_1);
        il.Emit(OpCodes.Call, ReadMapHeader);
        il.Emit(OpCodes.Stloc, count);
        il.Emit(OpCodes.Ldc_I4_0);
        il.Emit(OpCodes.Stloc, index);
        il.Emit(OpCodes.Br, check);

        // switch (state.Match(CodeGenHelpers.ReadStringSpan(ref reader), index)) { case i: value.Member_i = read; ... default: reader.Skip(); }
        il.MarkLabel(loop);
        il.Emit(OpCodes.Ldarg_0);
        il.Emit(OpCodes.Ldarg_1);
        il.Emit(OpCodes.Call, ReadKey);
        il.Emit(OpCodes.Ldloc, index);
        il.Emit(OpCodes.Call, Match);
        il.Emit(OpCodes.Switch, cases);
        il.Emit(OpCodes.Ldarg_1);
        il.Emit(OpCodes.Call, Skip);
        il.Emit(OpCodes.Br, next);

        for (int i = 0; i < _members.Length; i++)
        {
            PropertyInfo member = _members[i];
            Type type = member.PropertyType;
            il.MarkLabel(cases[i]);
            il.Emit(OpCodes.Ldloc, value);
            if (type == typeof(byte[]))
            {
                il.Emit(OpCodes.Ldarg_1);
                il.Emit(OpCodes.Call, ReadByteArray);
            }
            else if (PlainClassShape.IsDirect(type))
            {
                il.Emit(OpCodes.Ldarg_1);
                il.Emit(OpCodes.Call, typeof(MessagePackReader).GetMethod("Read" + type.Name, Type.EmptyTypes)!);
            }
            else
            {
                LoadFormatter(il, i, out Type contract);
                il.Emit(OpCodes.Ldarg_1);
                il.Emit(OpCodes.Ldarg_2);
                il.Emit(OpCodes.Callvirt, contract.GetMethod(nameof(IMessagePackFormatter<int>.Deserialize))!);
            }

            il.Emit(OpCodes.Callvirt, member.SetMethod!);
            il.Emit(OpCodes.Br, next);
        }

        il.MarkLabel(next);
        il.Emit(OpCodes.Ldloc, index);
        il.Emit(OpCodes.Ldc_I4_1);
        il.Emit(OpCodes.Add);
        il.Emit(OpCodes.Stloc, index);
        il.MarkLabel(check);
        il.Emit(OpCodes.Ldloc, index);
        il.Emit(OpCodes.Ldloc, count);
        il.Emit(OpCodes.Blt, loop);

        // reader.Depth--; return value;
        il.Emit(OpCodes.Ldarg_1);
        il.Emit(OpCodes.Ldarg_1);
        il.Emit(OpCodes.Call, GetDepth);
        il.Emit(OpCodes.Ldc_I4_1);
        il.Emit(OpCodes.Sub);
        il.Emit(OpCodes.Call, SetDepth);
        il.Emit(OpCodes.Ldloc, value);
        il.Emit(OpCodes.Ret);
        return (PlainClassReader<T>)method.CreateDelegate(typeof(PlainClassReader<T>));
    }

    /// <summary>Loads <c>state.Formatters[<paramref name="index"/>]</c> as the member's <c>IMessagePackFormatter&lt;TMember&gt;</c>
    /// (<see cref="PlainClassState"/> holds nothing else there, so no cast is checked).</summary>
    private void LoadFormatter(ILGenerator il, int index, out Type contract)
    {
        contract = typeof(IMessagePackFormatter<>).MakeGenericType(_members[index].PropertyType);
        LoadElement(il, Formatters, index);
        il.Emit(OpCodes.Call, As.MakeGenericMethod(contract));
    }

    /// <summary>Loads <c>state.Property[<paramref name="index"/>]</c>, given the property's getter.</summary>
    private static void LoadElement(ILGenerator il, MethodInfo getter, int index)
    {
        il.Emit(OpCodes.Ldarg_0);
        il.Emit(OpCodes.Call, getter);
        il.Emit(OpCodes.Ldc_I4, index);
        il.Emit(OpCodes.Ldelem_Ref);
    }

    /// <summary>Writes a <c>byte[]</c> member as contractless does: nil or bin.</summary>
    private static void WriteBytes(ref MessagePackWriter writer, byte[]? bytes)
    {
        if (bytes is null)
        {
            writer.WriteNil();
        }
        else
        {
            writer.Write(bytes.AsSpan());
        }
    }

    /// <summary>Reads a <c>byte[]</c> member as contractless does: nil or bin.</summary>
    private static byte[]? ReadBytes(ref MessagePackReader reader) => reader.TryReadNil() ? null : reader.ReadBytes()?.ToArray();
}
