using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.CompilerServices;

namespace HybridCaching.Serialization.MessagePack.Converters;

/// <summary>The converter of <typeparamref name="T"/>, looked up once per type and then read from a static field.</summary>
internal static class ConverterCache<T>
{
    private static MessagePackConverter<T>? s_converter;

    public static MessagePackConverter<T> Converter
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => s_converter ?? Resolve();
    }

    private static MessagePackConverter<T> Resolve() => s_converter = (MessagePackConverter<T>)ConverterFactory.Get(typeof(T));
}

/// <summary>
/// Builds converters from the declared types (never from anything in the data). Built converters are published
/// only once complete; a type under construction is visible to its own members, so recursive types work.
/// </summary>
internal static class ConverterFactory
{
    private static readonly ConcurrentDictionary<Type, MessagePackConverter> s_converters = new(new Dictionary<Type, MessagePackConverter>
    {
        [typeof(bool)] = new BooleanConverter(),
        [typeof(byte)] = new ByteConverter(),
        [typeof(sbyte)] = new SByteConverter(),
        [typeof(short)] = new Int16Converter(),
        [typeof(ushort)] = new UInt16Converter(),
        [typeof(int)] = new Int32Converter(),
        [typeof(uint)] = new UInt32Converter(),
        [typeof(long)] = new Int64Converter(),
        [typeof(ulong)] = new UInt64Converter(),
        [typeof(float)] = new SingleConverter(),
        [typeof(double)] = new DoubleConverter(),
        [typeof(decimal)] = new DecimalConverter(),
        [typeof(char)] = new CharConverter(),
        [typeof(string)] = new StringConverter(),
        [typeof(byte[])] = new ByteArrayConverter(),
        [typeof(DateTime)] = new DateTimeConverter(),
        [typeof(DateTimeOffset)] = new DateTimeOffsetConverter(),
        [typeof(TimeSpan)] = new TimeSpanConverter(),
        [typeof(Guid)] = new GuidConverter(),
        [typeof(object)] = new DynamicObjectConverter(),
    });

    private static readonly object s_buildLock = new();
    private static readonly Dictionary<Type, MessagePackConverter> s_building = [];
    private static readonly HashSet<Type> s_creating = [];
    private static int s_buildDepth;

    /// <summary>Gets the converter for <paramref name="type"/>, building it (and those of its members) on first use.</summary>
    /// <exception cref="NotSupportedException">The type cannot be mapped (e.g. an interface other than the collection ones, a delegate, a pointer).</exception>
    public static MessagePackConverter Get(Type type)
    {
        if (s_converters.TryGetValue(type, out MessagePackConverter? converter))
        {
            return converter;
        }

        lock (s_buildLock)
        {
            if (s_converters.TryGetValue(type, out converter) || s_building.TryGetValue(type, out converter))
            {
                return converter;
            }

            if (!s_creating.Add(type))
            {
                throw Unsupported(type, "it contains itself other than through an object member (e.g. a class deriving from List of itself)");
            }

            s_buildDepth++;
            bool built = false;
            try
            {
                converter = Create(type);
                s_building[type] = converter;
                built = true;
            }
            finally
            {
                s_creating.Remove(type);
                if (--s_buildDepth == 0)
                {
                    if (built)
                    {
                        foreach (KeyValuePair<Type, MessagePackConverter> entry in s_building)
                        {
                            s_converters[entry.Key] = entry.Value;
                        }
                    }

                    s_building.Clear();
                }
            }

            return converter;
        }
    }

    private static MessagePackConverter Create(Type type)
    {
        if (Nullable.GetUnderlyingType(type) is Type underlying)
        {
            return Instantiate(typeof(NullableConverter<>), [underlying], Get(underlying));
        }

        if (type.IsEnum)
        {
            return Instantiate(typeof(EnumConverter<>), [type]);
        }

        if (type.IsArray)
        {
            if (!type.IsSZArray)
            {
                throw Unsupported(type, "multi-dimensional arrays are not supported");
            }

            Type element = type.GetElementType()!;
            return Instantiate(typeof(ArrayConverter<>), [element], Get(element));
        }

        Unsupported(type);

        if (type.IsGenericType)
        {
            Type definition = type.GetGenericTypeDefinition();
            Type[] arguments = type.GetGenericArguments();
            Type? converterDefinition = null;
            if (definition == typeof(List<>))
            {
                converterDefinition = typeof(ListConverter<>);
            }
            else if (definition == typeof(HashSet<>))
            {
                converterDefinition = typeof(HashSetConverter<>);
            }
            else if (definition == typeof(Dictionary<,>))
            {
                converterDefinition = typeof(DictionaryConverter<,>);
            }

            if (converterDefinition is not null)
            {
                return Instantiate(converterDefinition, arguments, arguments.Select(Get).ToArray());
            }

            if (definition == typeof(IEnumerable<>) || definition == typeof(ICollection<>) || definition == typeof(IList<>)
                || definition == typeof(IReadOnlyCollection<>) || definition == typeof(IReadOnlyList<>))
            {
                return Instantiate(typeof(ListInterfaceConverter<,>), [type, arguments[0]], Get(arguments[0]));
            }

            if (definition == typeof(ISet<>) || definition == typeof(IReadOnlySet<>))
            {
                return Instantiate(typeof(SetInterfaceConverter<,>), [type, arguments[0]], Get(arguments[0]));
            }

            if (definition == typeof(IDictionary<,>) || definition == typeof(IReadOnlyDictionary<,>))
            {
                return Instantiate(typeof(DictionaryInterfaceConverter<,,>), [type, arguments[0], arguments[1]], Get(arguments[0]), Get(arguments[1]));
            }
        }

        if (type.IsInterface || type.IsAbstract)
        {
            throw Unsupported(type, "interfaces and abstract types other than the common collection interfaces cannot be created from data");
        }

        bool creatable = !type.IsValueType && type.GetConstructor(Type.EmptyTypes) is not null;
        if (creatable && FindGenericInterface(type, typeof(IDictionary<,>)) is Type dictionary)
        {
            Type[] arguments = dictionary.GetGenericArguments();
            return Instantiate(typeof(GenericDictionaryConverter<,,>), [type, arguments[0], arguments[1]], Get(arguments[0]), Get(arguments[1]));
        }

        if (creatable && FindGenericInterface(type, typeof(ICollection<>)) is Type collection)
        {
            Type element = collection.GetGenericArguments()[0];
            return Instantiate(typeof(GenericCollectionConverter<,>), [type, element], Get(element));
        }

        return CreateObjectConverter(type);
    }

    private static MessagePackConverter CreateObjectConverter(Type type)
    {
        TypeModel model = TypeModel.Build(type);
        MessagePackConverter converter = model.Arguments.Count == 0
            ? Instantiate(typeof(ObjectConverter<>), [type])
            : Instantiate(typeof(ConstructorObjectConverter<,>), [type, FieldPath.TupleOf(model.Arguments.Select(a => a.Type).ToArray())]);

        // Registered before its members are resolved, so a member of the same type finds it.
        s_building[type] = converter;
        ((IDeferredConverter)converter).Initialize(model);
        return converter;
    }

    private static Type? FindGenericInterface(Type type, Type definition) =>
        type.GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == definition);

    private static MessagePackConverter Instantiate(Type definition, Type[] typeArguments, params object[] arguments) =>
        (MessagePackConverter)Activator.CreateInstance(definition.MakeGenericType(typeArguments), arguments)!;

    /// <summary>Rejects the kinds of types that can never be mapped.</summary>
    private static void Unsupported(Type type)
    {
        if (type.IsPointer || type.IsByRef || type.IsByRefLike || type.IsFunctionPointer || type.ContainsGenericParameters)
        {
            throw Unsupported(type, "pointers, by-ref and ref-struct types and open generic types cannot be serialized");
        }

        if (type.IsPrimitive || type == typeof(IntPtr) || type == typeof(UIntPtr))
        {
            throw Unsupported(type, "this primitive type has no MessagePack mapping");
        }

        if (type.IsValueType && !type.IsGenericType && type.Assembly == typeof(object).Assembly)
        {
            // DateOnly, Half, Int128 and the like: their state is private, so mapping public members would lose it.
            throw Unsupported(type, "this framework value type has no MessagePack mapping");
        }

        if (typeof(Delegate).IsAssignableFrom(type) || typeof(MemberInfo).IsAssignableFrom(type) || typeof(Task).IsAssignableFrom(type))
        {
            throw Unsupported(type, "delegates, reflection objects and tasks are not data");
        }
    }

    private static NotSupportedException Unsupported(Type type, string reason) =>
        new($"The type {type} cannot be serialized with MessagePack: {reason}.");
}
