using System.Linq.Expressions;
using System.Reflection;
using System.Runtime.Serialization;
using System.Text;

namespace HybridCaching.Serialization.MessagePack.Converters;

/// <summary>Reads a member of <typeparamref name="TOwner"/> (by reference, so structs are not copied).</summary>
internal delegate TMember MemberGetter<TOwner, TMember>(ref TOwner owner);

/// <summary>Sets a member of <typeparamref name="TOwner"/> (by reference, so structs are updated in place).</summary>
internal delegate void MemberSetter<TOwner, TMember>(ref TOwner owner, TMember value);

/// <summary>One public property or field as the mapper sees it.</summary>
internal sealed class MemberModel
{
    public MemberModel(MemberInfo member, Type type, string name, bool canGet, bool canSet)
    {
        Member = member;
        Type = type;
        Name = name;
        NameUtf8 = Encoding.UTF8.GetBytes(name);
        CanGet = canGet;
        CanSet = canSet;
    }

    public MemberInfo Member { get; }

    public Type Type { get; }

    /// <summary>Gets the map key.</summary>
    public string Name { get; }

    public byte[] NameUtf8 { get; }

    public bool CanGet { get; }

    public bool CanSet { get; }

    /// <summary>Gets the key as a complete MessagePack str (header and bytes), ready to copy into the output.</summary>
    public byte[] EncodeName()
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(NameUtf8.Length + 5);
        var writer = new MessagePackWriter(buffer);
        writer.WriteStringUtf8(NameUtf8);
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }
}

/// <summary>A value collected before construction: a constructor parameter (<paramref name="SetAfterConstruction"/> false) or a settable member that is not one.</summary>
internal sealed record ArgumentModel(Type Type, MemberModel? Member, bool SetAfterConstruction);

/// <summary>How a type is mapped: its members in key order, and the constructor that creates it.</summary>
internal sealed class TypeModel
{
    private TypeModel(Type type, IReadOnlyList<MemberModel> members, ConstructorInfo? constructor)
    {
        Type = type;
        Members = members;
        Constructor = constructor;
        var arguments = new List<ArgumentModel>();
        ParameterInfo[] parameters = constructor?.GetParameters() ?? [];
        if (parameters.Length > 0)
        {
            var bound = new HashSet<MemberModel>();
            foreach (ParameterInfo parameter in parameters)
            {
                MemberModel? member = FindMember(members, parameter);
                if (member is not null)
                {
                    bound.Add(member);
                }

                arguments.Add(new ArgumentModel(parameter.ParameterType, member, SetAfterConstruction: false));
            }

            arguments.AddRange(members.Where(m => m.CanSet && !bound.Contains(m)).Select(m => new ArgumentModel(m.Type, m, SetAfterConstruction: true)));
        }

        Arguments = arguments;
    }

    public Type Type { get; }

    /// <summary>Gets the members: base types first; within a type, properties then fields, each in declaration order.</summary>
    public IReadOnlyList<MemberModel> Members { get; }

    /// <summary>Gets the constructor (<see langword="null"/> for a struct's default value).</summary>
    public ConstructorInfo? Constructor { get; }

    /// <summary>Gets the values collected before a constructor with parameters runs: its parameters, then the settable members that are not parameters. Empty when members are simply set.</summary>
    public IReadOnlyList<ArgumentModel> Arguments { get; }

    public static TypeModel Build(Type type)
    {
        List<MemberModel> members = GetMembers(type);
        return new TypeModel(type, members, SelectConstructor(type, members));
    }

    public static MemberModel? FindMember(IReadOnlyList<MemberModel> members, ParameterInfo parameter)
    {
        foreach (MemberModel member in members)
        {
            if (string.Equals(member.Member.Name, parameter.Name, StringComparison.OrdinalIgnoreCase))
            {
                return member;
            }
        }

        return null;
    }

    public static MemberGetter<TOwner, TMember> CompileGetter<TOwner, TMember>(MemberInfo member)
    {
        ParameterExpression owner = Expression.Parameter(typeof(TOwner).MakeByRefType(), "owner");
        return Expression.Lambda<MemberGetter<TOwner, TMember>>(Access(owner, member), owner).Compile();
    }

    public static MemberSetter<TOwner, TMember> CompileSetter<TOwner, TMember>(MemberInfo member)
    {
        ParameterExpression owner = Expression.Parameter(typeof(TOwner).MakeByRefType(), "owner");
        ParameterExpression value = Expression.Parameter(typeof(TMember), "value");
        return Expression.Lambda<MemberSetter<TOwner, TMember>>(Expression.Assign(Access(owner, member), value), owner, value).Compile();
    }

    private static MemberExpression Access(Expression owner, MemberInfo member) => member is PropertyInfo property
        ? Expression.Property(owner, property)
        : Expression.Field(owner, (FieldInfo)member);

    private static List<MemberModel> GetMembers(Type type)
    {
        var hierarchy = new List<Type>();
        for (Type? current = type; current is not null && current != typeof(object) && current != typeof(ValueType); current = current.BaseType)
        {
            hierarchy.Insert(0, current);
        }

        var members = new List<MemberModel>();
        var indexByClrName = new Dictionary<string, int>(StringComparer.Ordinal);
        const BindingFlags Flags = BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly;
        foreach (Type declaring in hierarchy)
        {
            IEnumerable<MemberInfo> declared = declaring.GetProperties(Flags).OrderBy(p => p.MetadataToken).Cast<MemberInfo>()
                .Concat(declaring.GetFields(Flags).OrderBy(f => f.MetadataToken));
            foreach (MemberInfo member in declared)
            {
                MemberModel? model = CreateMember(member);
                if (model is null)
                {
                    continue;
                }

                // An override or a 'new' member replaces the base one in place.
                if (indexByClrName.TryGetValue(member.Name, out int index))
                {
                    members[index] = model;
                }
                else
                {
                    indexByClrName[member.Name] = members.Count;
                    members.Add(model);
                }
            }
        }

        var keys = new HashSet<string>(StringComparer.Ordinal);
        foreach (MemberModel member in members)
        {
            if (!keys.Add(member.Name))
            {
                throw new NotSupportedException($"Two members of {type} map to the MessagePack key '{member.Name}'.");
            }
        }

        return members;
    }

    private static MemberModel? CreateMember(MemberInfo member)
    {
        if (member.IsDefined(typeof(MessagePackIgnoreAttribute), inherit: true) || member.IsDefined(typeof(IgnoreDataMemberAttribute), inherit: true))
        {
            return null;
        }

        Type type;
        bool canGet;
        bool canSet;
        switch (member)
        {
            case PropertyInfo property:
                if (property.GetIndexParameters().Length > 0)
                {
                    return null;
                }

                type = property.PropertyType;
                canGet = property.GetGetMethod() is not null;
                canSet = property.GetSetMethod() is not null;
                if (!canGet && !canSet)
                {
                    return null;
                }

                break;
            case FieldInfo field:
                type = field.FieldType;
                canGet = true;
                canSet = !field.IsInitOnly && !field.IsLiteral;
                break;
            default:
                return null;
        }

        if (type.IsByRef || type.IsPointer || type.IsByRefLike || type.IsFunctionPointer)
        {
            return null;
        }

        string name = member.GetCustomAttribute<MessagePackKeyAttribute>(inherit: true)?.Name
            ?? NonEmpty(member.GetCustomAttribute<DataMemberAttribute>(inherit: true)?.Name)
            ?? member.Name;
        return new MemberModel(member, type, name, canGet, canSet);
    }

    private static string? NonEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    /// <summary>
    /// Classes: the public parameterless constructor if there is one; otherwise the only public constructor, or
    /// the one with the most parameters that all name members. Structs: members are set on a default value unless
    /// some readable member cannot be set and a constructor can bind it.
    /// </summary>
    private static ConstructorInfo? SelectConstructor(Type type, List<MemberModel> members)
    {
        ConstructorInfo[] constructors = type.GetConstructors(BindingFlags.Public | BindingFlags.Instance)
            .Where(c => c.GetParameters().All(p => !p.ParameterType.IsByRef && !p.ParameterType.IsPointer && !p.ParameterType.IsByRefLike))
            .ToArray();

        if (type.IsValueType)
        {
            if (members.All(m => m.CanSet || !m.CanGet))
            {
                return null;
            }

            return BestMatch(constructors.Where(c => c.GetParameters().Length > 0).ToArray(), members, type, required: false);
        }

        ConstructorInfo? parameterless = constructors.FirstOrDefault(c => c.GetParameters().Length == 0);
        if (parameterless is not null)
        {
            return parameterless;
        }

        if (constructors.Length == 1)
        {
            return constructors[0];
        }

        return BestMatch(constructors, members, type, required: true);
    }

    private static ConstructorInfo? BestMatch(ConstructorInfo[] constructors, List<MemberModel> members, Type type, bool required)
    {
        ConstructorInfo[] matching = constructors
            .Where(c => c.GetParameters().All(p => FindMember(members, p) is not null))
            .OrderByDescending(c => c.GetParameters().Length)
            .ToArray();
        if (matching.Length == 0 || (matching.Length > 1 && matching[0].GetParameters().Length == matching[1].GetParameters().Length))
        {
            if (!required && matching.Length == 0)
            {
                return null;
            }

            throw new NotSupportedException($"{type} has no public parameterless constructor and no single public constructor whose parameters all name its members.");
        }

        return matching[0];
    }
}
