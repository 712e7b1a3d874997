namespace HybridCaching.Serialization.MessagePack;

/// <summary>Sets the map key a property or field is written under and read from (default: the member's name).</summary>
/// <remarks><c>[DataMember(Name = …)]</c> is honoured too; this attribute wins when both are present. Keys are matched exactly (case-sensitive), as Go does.</remarks>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field, AllowMultiple = false, Inherited = true)]
public sealed class MessagePackKeyAttribute : Attribute
{
    /// <summary>Creates the attribute.</summary>
    /// <param name="name">The map key.</param>
    public MessagePackKeyAttribute(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Name = name;
    }

    /// <summary>Gets the map key.</summary>
    public string Name { get; }
}

/// <summary>Leaves a public property or field out of the MessagePack map (like <c>[IgnoreDataMember]</c>, which is honoured too).</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field, AllowMultiple = false, Inherited = true)]
public sealed class MessagePackIgnoreAttribute : Attribute
{
}
