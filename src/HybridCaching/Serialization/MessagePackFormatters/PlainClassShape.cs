using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.Serialization;
using MessagePack;

namespace HybridCaching.Serialization.MessagePackFormatters;

/// <summary>
/// Decides whether a type is a <em>plain class</em> that <see cref="PlainClassFormatter{T}"/> may write and read in place of
/// MessagePack-CSharp's contractless formatter, and lists its members in the order contractless writes them.
/// </summary>
/// <remarks>
/// A plain class: not abstract, derives directly from <see cref="object"/>, has exactly one public constructor and it
/// takes no parameters, no constructor marked <see cref="SerializationConstructorAttribute"/>, no public fields, does not
/// implement <see cref="IMessagePackSerializationCallbackReceiver"/>, and each property contractless would use has a
/// public getter and a public, non-<c>init</c> setter and no ignore attribute. Anything else keeps contractless, so
/// only the shape whose contractless behaviour is simple (create, then assign members as their keys are read) is redone.
/// </remarks>
internal static class PlainClassShape
{
    /// <summary>The member types contractless writes and reads with <see cref="MessagePackWriter"/>/<see cref="MessagePackReader"/>
    /// directly instead of through the resolver (MessagePack-CSharp's <c>IsOptimizeTargetType</c>).</summary>
    private static readonly HashSet<Type> DirectTypes =
    [
        typeof(short), typeof(int), typeof(long), typeof(ushort), typeof(uint), typeof(ulong), typeof(float), typeof(double),
        typeof(bool), typeof(byte), typeof(sbyte), typeof(char), typeof(byte[]),
    ];

    /// <summary>Whether contractless writes and reads a member of <paramref name="type"/> without the resolver.</summary>
    /// <param name="type">The member's type.</param>
    /// <returns><see langword="true"/> for the primitive types and <c>byte[]</c>.</returns>
    public static bool IsDirect(Type type) => DirectTypes.Contains(type);

    /// <summary>Lists the members of a plain class, in contractless's order, or returns <see langword="null"/> for any other type.</summary>
    /// <param name="type">The type.</param>
    /// <returns>The properties; an empty array for a plain class without any.</returns>
    public static PropertyInfo[]? TryGetMembers([DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.All)] Type type)
    {
        if (!type.IsClass || type.IsAbstract || type.ContainsGenericParameters || type.BaseType != typeof(object)
            || typeof(IMessagePackSerializationCallbackReceiver).IsAssignableFrom(type))
        {
            return null;
        }

        ConstructorInfo[] constructors = type.GetConstructors(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance);
        if (constructors.Count(c => c.IsPublic) != 1 || constructors.Single(c => c.IsPublic).GetParameters().Length != 0
            || constructors.Any(c => c.IsDefined(typeof(SerializationConstructorAttribute), false))
            || type.GetFields(BindingFlags.Public | BindingFlags.Instance).Length != 0)
        {
            return null;
        }

        // Contractless walks GetRuntimeProperties (all properties, in metadata order) and keeps those with a public,
        // non-static getter or setter; its member order is that order, since every property is declared by this type.
        var members = new List<PropertyInfo>();
        foreach (PropertyInfo property in type.GetRuntimeProperties())
        {
            MethodInfo? getter = property.GetGetMethod(true);
            MethodInfo? setter = property.GetSetMethod(true);
            bool readable = getter is { IsPublic: true, IsStatic: false };
            bool writable = setter is { IsPublic: true, IsStatic: false };
            if (property.GetIndexParameters().Length != 0 || (!readable && !writable))
            {
                continue;
            }

            if (readable != writable || IsInitOnly(setter!) || IsIgnored(property)
                || property.PropertyType.IsByRef || property.PropertyType.IsPointer || property.PropertyType.IsByRefLike)
            {
                return null;
            }

            members.Add(property);
        }

        return [.. members];
    }

    private static bool IsInitOnly(MethodInfo setter) =>
        setter.ReturnParameter.GetRequiredCustomModifiers().Contains(typeof(IsExternalInit));

    private static bool IsIgnored(PropertyInfo property) =>
        property.IsDefined(typeof(IgnoreMemberAttribute), true) || property.IsDefined(typeof(IgnoreDataMemberAttribute), true)
        || property.IsDefined(typeof(NonSerializedAttribute), true) || property.IsDefined(typeof(DataMemberAttribute), true)
        || property.IsDefined(typeof(KeyAttribute), true) || property.IsDefined(typeof(MessagePackFormatterAttribute), true);
}
