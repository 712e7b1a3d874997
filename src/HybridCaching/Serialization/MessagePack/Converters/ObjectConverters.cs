using System.Linq.Expressions;
using System.Reflection;

namespace HybridCaching.Serialization.MessagePack.Converters;

/// <summary>Implemented by converters that are registered first and filled in afterwards, so recursive types resolve.</summary>
internal interface IDeferredConverter
{
    void Initialize(TypeModel model);
}

/// <summary>Writes and reads one member of <typeparamref name="TOwner"/>.</summary>
internal abstract class MemberAccessor<TOwner>
{
    protected MemberAccessor(MemberModel model)
    {
        NameUtf8 = model.NameUtf8;
        EncodedName = model.EncodeName();
    }

    public byte[] NameUtf8 { get; }

    public byte[] EncodedName { get; }

    public abstract void Write(ref MessagePackWriter writer, ref TOwner owner);

    public abstract void Read(ref MessagePackReader reader, ref TOwner owner);
}

internal sealed class MemberAccessor<TOwner, TMember> : MemberAccessor<TOwner>
{
    private readonly MemberGetter<TOwner, TMember>? _getter;
    private readonly MemberSetter<TOwner, TMember>? _setter;
    private readonly MessagePackConverter<TMember> _converter;

    public MemberAccessor(MemberModel model, MessagePackConverter<TMember> converter, bool settable)
        : base(model)
    {
        _converter = converter;
        _getter = model.CanGet ? TypeModel.CompileGetter<TOwner, TMember>(model.Member) : null;
        _setter = settable && model.CanSet ? TypeModel.CompileSetter<TOwner, TMember>(model.Member) : null;
    }

    public override void Write(ref MessagePackWriter writer, ref TOwner owner) => _converter.Write(ref writer, _getter!(ref owner));

    public override void Read(ref MessagePackReader reader, ref TOwner owner)
    {
        if (_setter is null)
        {
            reader.Skip();
        }
        else
        {
            _setter(ref owner, _converter.Read(ref reader));
        }
    }
}

/// <summary>Objects as maps keyed by member name: the writing half, shared by both ways of creating objects.</summary>
internal abstract class ObjectConverterBase<T> : MessagePackConverter<T>, IDeferredConverter
{
    private MemberAccessor<T>[] _written = [];

    public void Initialize(TypeModel model)
    {
        // Members are set through their accessors only when no constructor parameters are bound.
        bool setsMembers = model.Constructor is null || model.Constructor.GetParameters().Length == 0;
        MemberAccessor<T>[] accessors = model.Members.Select(m => CreateAccessor(m, setsMembers)).ToArray();
        _written = accessors.Where((_, i) => model.Members[i].CanGet).ToArray();
        InitializeReading(model, accessors);
    }

    public sealed override void Write(ref MessagePackWriter writer, T value)
    {
        if (value is null)
        {
            writer.WriteNil();
            return;
        }

        writer.EnterContainer();
        MemberAccessor<T>[] members = _written;
        writer.WriteMapHeader(members.Length);
        for (int i = 0; i < members.Length; i++)
        {
            MemberAccessor<T> member = members[i];
            writer.WriteRaw(member.EncodedName);
            member.Write(ref writer, ref value);
        }

        writer.ExitContainer();
    }

    protected static MemberAccessor<T> CreateAccessor(MemberModel member, bool settable)
    {
        Type accessorType = typeof(MemberAccessor<,>).MakeGenericType(typeof(T), member.Type);
        return (MemberAccessor<T>)Activator.CreateInstance(accessorType, member, ConverterFactory.Get(member.Type), settable)!;
    }

    /// <summary>Finds the entry whose UTF-8 name equals <paramref name="key"/>, trying <paramref name="hint"/> (the next in declaration order) first.</summary>
    protected static int Find(byte[]?[] names, ReadOnlySpan<byte> key, int hint)
    {
        if ((uint)hint < (uint)names.Length && names[hint] is byte[] expected && key.SequenceEqual(expected))
        {
            return hint;
        }

        for (int i = 0; i < names.Length; i++)
        {
            byte[]? name = names[i];
            if (name is not null && key.SequenceEqual(name))
            {
                return i;
            }
        }

        return -1;
    }

    protected abstract void InitializeReading(TypeModel model, MemberAccessor<T>[] accessors);
}

/// <summary>Objects created empty (parameterless constructor, or a struct's default) whose members are then set.</summary>
internal sealed class ObjectConverter<T> : ObjectConverterBase<T>
{
    private MemberAccessor<T>[] _read = [];
    private byte[]?[] _names = [];
    private Func<T> _create = () => throw new InvalidOperationException("The converter is not initialized.");

    public override T Read(ref MessagePackReader reader)
    {
        if (!typeof(T).IsValueType && reader.TryReadNil())
        {
            return default!;
        }

        reader.EnterContainer();
        int count = reader.ReadMapHeader();
        T value = _create();
        MemberAccessor<T>[] members = _read;
        byte[]?[] names = _names;
        int next = 0;
        for (int i = 0; i < count; i++)
        {
            int index = Find(names, reader.ReadStringSpan(), next);
            if (index < 0)
            {
                reader.Skip();
            }
            else
            {
                members[index].Read(ref reader, ref value);
                next = index + 1;
            }
        }

        reader.ExitContainer();
        return value;
    }

    protected override void InitializeReading(TypeModel model, MemberAccessor<T>[] accessors)
    {
        _read = accessors;
        _names = _read.Select(m => (byte[]?)m.NameUtf8).ToArray();
        NewExpression create = model.Constructor is null ? Expression.New(typeof(T)) : Expression.New(model.Constructor);
        _create = Expression.Lambda<Func<T>>(create).Compile();
    }
}

/// <summary>Creates <typeparamref name="T"/> from the values collected in <typeparamref name="TArgs"/>.</summary>
internal delegate T ArgumentsConstructor<T, TArgs>(ref TArgs arguments);

/// <summary>One value collected before the constructor runs: a constructor parameter, or a member set afterwards.</summary>
internal abstract class ArgumentSlot<T, TArgs>
{
    public abstract void Read(ref MessagePackReader reader, ref TArgs arguments);

    public abstract void Apply(ref T value, ref TArgs arguments);
}

internal sealed class ArgumentSlot<T, TArgs, TMember> : ArgumentSlot<T, TArgs>
{
    private readonly MessagePackConverter<TMember> _converter;
    private readonly MemberSetter<TArgs, TMember> _store;
    private readonly MemberGetter<TArgs, TMember>? _load;
    private readonly MemberSetter<T, TMember>? _setMember;

    public ArgumentSlot(MessagePackConverter<TMember> converter, FieldPath field, MemberInfo? setAfterConstruction)
    {
        _converter = converter;
        ParameterExpression arguments = Expression.Parameter(typeof(TArgs).MakeByRefType(), "arguments");
        ParameterExpression value = Expression.Parameter(typeof(TMember), "value");
        Expression slot = field.Access(arguments);
        _store = Expression.Lambda<MemberSetter<TArgs, TMember>>(Expression.Assign(slot, value), arguments, value).Compile();
        if (setAfterConstruction is not null)
        {
            _load = Expression.Lambda<MemberGetter<TArgs, TMember>>(slot, arguments).Compile();
            _setMember = TypeModel.CompileSetter<T, TMember>(setAfterConstruction);
        }
    }

    public override void Read(ref MessagePackReader reader, ref TArgs arguments) => _store(ref arguments, _converter.Read(ref reader));

    public override void Apply(ref T value, ref TArgs arguments) => _setMember!(ref value, _load!(ref arguments));
}

/// <summary>A field of a (nested) value tuple: <c>Rest.Rest.Item3</c> and so on.</summary>
internal readonly record struct FieldPath(int Index)
{
    public Expression Access(Expression tuple)
    {
        int index = Index;
        while (index >= 7)
        {
            tuple = Expression.Field(tuple, "Rest");
            index -= 7;
        }

        return Expression.Field(tuple, "Item" + (index + 1).ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>A value tuple type holding <paramref name="types"/>, nested through <c>Rest</c> past seven.</summary>
    public static Type TupleOf(ReadOnlySpan<Type> types)
    {
        if (types.Length <= 7)
        {
            Type definition = types.Length switch
            {
                1 => typeof(ValueTuple<>),
                2 => typeof(ValueTuple<,>),
                3 => typeof(ValueTuple<,,>),
                4 => typeof(ValueTuple<,,,>),
                5 => typeof(ValueTuple<,,,,>),
                6 => typeof(ValueTuple<,,,,,>),
                _ => typeof(ValueTuple<,,,,,,>),
            };
            return definition.MakeGenericType(types.ToArray());
        }

        Type[] arguments = [.. types.Slice(0, 7), TupleOf(types.Slice(7))];
        return typeof(ValueTuple<,,,,,,,>).MakeGenericType(arguments);
    }
}

/// <summary>
/// Objects created through a constructor with parameters (records, immutable types): values are first collected,
/// without boxing, in a value tuple <typeparamref name="TArgs"/>; then the constructor runs and members that are not
/// parameters but were present in the data are set (init-only members included).
/// </summary>
internal sealed class ConstructorObjectConverter<T, TArgs> : ObjectConverterBase<T>
    where TArgs : struct
{
    private ArgumentSlot<T, TArgs>[] _slots = [];
    private byte[]?[] _names = [];
    private int _firstSetAfter;
    private TArgs _defaults;
    private ArgumentsConstructor<T, TArgs> _construct = (ref TArgs _) => throw new InvalidOperationException("The converter is not initialized.");

    public override T Read(ref MessagePackReader reader)
    {
        if (!typeof(T).IsValueType && reader.TryReadNil())
        {
            return default!;
        }

        reader.EnterContainer();
        int count = reader.ReadMapHeader();
        ArgumentSlot<T, TArgs>[] slots = _slots;
        byte[]?[] names = _names;
        TArgs arguments = _defaults;
        Span<bool> present = slots.Length <= 256 ? stackalloc bool[slots.Length] : new bool[slots.Length];
        int next = 0;
        for (int i = 0; i < count; i++)
        {
            int index = Find(names, reader.ReadStringSpan(), next);
            if (index < 0)
            {
                reader.Skip();
            }
            else
            {
                slots[index].Read(ref reader, ref arguments);
                present[index] = true;
                next = index + 1;
            }
        }

        T value = _construct(ref arguments);
        for (int i = _firstSetAfter; i < slots.Length; i++)
        {
            if (present[i])
            {
                slots[i].Apply(ref value, ref arguments);
            }
        }

        reader.ExitContainer();
        return value;
    }

    protected override void InitializeReading(TypeModel model, MemberAccessor<T>[] accessors)
    {
        ConstructorInfo constructor = model.Constructor!;
        ParameterInfo[] parameters = constructor.GetParameters();
        var slots = new ArgumentSlot<T, TArgs>[model.Arguments.Count];
        for (int i = 0; i < slots.Length; i++)
        {
            ArgumentModel argument = model.Arguments[i];
            Type slotType = typeof(ArgumentSlot<,,>).MakeGenericType(typeof(T), typeof(TArgs), argument.Type);
            MemberInfo? setAfter = argument.SetAfterConstruction ? argument.Member!.Member : null;
            slots[i] = (ArgumentSlot<T, TArgs>)Activator.CreateInstance(slotType, ConverterFactory.Get(argument.Type), new FieldPath(i), setAfter)!;
        }

        _slots = slots;
        _names = model.Arguments.Select(a => a.Member?.NameUtf8).ToArray();
        _firstSetAfter = parameters.Length;

        ParameterExpression arguments = Expression.Parameter(typeof(TArgs).MakeByRefType(), "arguments");
        _construct = Expression.Lambda<ArgumentsConstructor<T, TArgs>>(
            Expression.New(constructor, parameters.Select((_, i) => new FieldPath(i).Access(arguments))),
            arguments).Compile();
        _defaults = CompileDefaults(parameters)();
    }

    /// <summary>Parameters left out of the data get their declared default value (or the type's default).</summary>
    private static Func<TArgs> CompileDefaults(ParameterInfo[] parameters)
    {
        ParameterExpression tuple = Expression.Variable(typeof(TArgs), "defaults");
        var body = new List<Expression> { Expression.Assign(tuple, Expression.Default(typeof(TArgs))) };
        for (int i = 0; i < parameters.Length; i++)
        {
            ParameterInfo parameter = parameters[i];
            if (!parameter.HasDefaultValue || parameter.DefaultValue is null or DBNull or System.Reflection.Missing)
            {
                continue;
            }

            Type type = parameter.ParameterType;
            Type underlying = Nullable.GetUnderlyingType(type) ?? type;
            object value = underlying.IsEnum ? Enum.ToObject(underlying, parameter.DefaultValue) : parameter.DefaultValue;
            body.Add(Expression.Assign(new FieldPath(i).Access(tuple), Expression.Convert(Expression.Constant(value), type)));
        }

        body.Add(tuple);
        return Expression.Lambda<Func<TArgs>>(Expression.Block([tuple], body)).Compile();
    }
}
