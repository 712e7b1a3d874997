using System.Runtime.Serialization;
using MessagePack;

namespace HybridCaching.Tests.Serialization;

// The Go struct of SPEC §6: type Item struct { ID int; Name string; Tags []string; Price float64 }.
public class Item
{
    public int ID;
    public string Name = string.Empty;
    public List<string>? Tags;
    public double Price;
}

// Item under [MessagePackObject(keyAsPropertyName: true)]: the same Go map, written by the attributed resolver.
[MessagePackObject(keyAsPropertyName: true)]
public class KeyedItem
{
    public int ID { get; set; }

    public string Name { get; set; } = string.Empty;

    public List<string>? Tags { get; set; }

    public double Price { get; set; }
}

public enum Color
{
    Red = 1,
    Green = 2,
    Blue = 300,
}

public enum Tiny : byte
{
    A = 1,
    B = 255,
}

public enum Signed : long
{
    Min = long.MinValue,
    Max = long.MaxValue,
}

[Flags]
public enum Access : short
{
    None = 0,
    Read = 1,
    Write = 2,
}

public sealed record Person(string Name, int Age, IReadOnlyList<string> Tags)
{
    public string? Nickname { get; init; }

    public int Computed => Age * 2;
}

public sealed record WithDefaults(string Name, int Count = 42, Color Color = Color.Blue, decimal Rate = 1.5m, string? Note = null);

public readonly record struct Point(int X, int Y);

public readonly struct ImmutablePair
{
    public ImmutablePair(string key, long value)
    {
        Key = key;
        Value = value;
    }

    public string Key { get; }

    public long Value { get; }
}

public struct MutableStruct
{
    public int A;
    public string? B { get; set; }
}

public sealed class InitOnly
{
    public required string Id { get; init; }

    public int Version { get; init; } = 7;

    public DateTime Created { get; init; }
}

/// <summary>Renaming and ignoring members is MessagePack-CSharp's business: its attributes, string keys.</summary>
[MessagePackObject]
public sealed class Renamed
{
    [Key("n")]
    public string? Name { get; set; }

    [Key("a")]
    public int Age { get; set; }

    [IgnoreMember]
    public string Secret { get; set; } = "keep";

    [IgnoreDataMember]
    public string Hidden = "hide";

    [Key("Plain")]
    public string? Plain { get; set; }
}

/// <summary>An attributed type with integer keys: written as an array, as its attributes say.</summary>
[MessagePackObject]
public sealed class Indexed
{
    [Key(0)]
    public int Id { get; set; }

    [Key(1)]
    public string? Name { get; set; }
}

public sealed class Node
{
    public int Value { get; set; }

    public Node? Next { get; set; }

    public List<Node>? Children { get; set; }
}

public class Animal
{
    public string? Name { get; set; }

    public virtual int Legs { get; set; } = 4;
}

public sealed class Bird : Animal
{
    public override int Legs { get; set; } = 2;

    public bool CanFly { get; set; }
}

public sealed class Validating
{
    public Validating(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Name = name;
    }

    public string Name { get; }
}

public sealed class Collections
{
    public int[]? Array { get; set; }

    public List<string>? List { get; set; }

    public HashSet<int>? Set { get; set; }

    public Dictionary<string, int>? Map { get; set; }

    public Dictionary<int, string>? IntKeys { get; set; }

    public Dictionary<Guid, List<int>>? GuidKeys { get; set; }

    public IEnumerable<int>? Enumerable { get; set; }

    public IReadOnlyList<string>? ReadOnlyList { get; set; }

    public IList<long>? IList { get; set; }

    public ICollection<byte>? ICollection { get; set; }

    public IReadOnlyCollection<short>? ReadOnlyCollection { get; set; }

    public ISet<string>? ISet { get; set; }

    public IReadOnlySet<string>? ReadOnlySet { get; set; }

    public IDictionary<string, double>? IDictionary { get; set; }

    public IReadOnlyDictionary<string, bool>? ReadOnlyDictionary { get; set; }

    public SortedDictionary<string, int>? Sorted { get; set; }

    public SortedSet<int>? SortedSet { get; set; }

    public LinkedList<string>? Linked { get; set; }

    public int[][]? Jagged { get; set; }

    public Dictionary<string, Dictionary<string, string[]>>? Nested { get; set; }
}

/// <summary>A typical cached DTO: every scalar kind the mapper supports.</summary>
public sealed class Scalars
{
    public bool Bool { get; set; }

    public byte Byte { get; set; }

    public sbyte SByte { get; set; }

    public short Int16 { get; set; }

    public ushort UInt16 { get; set; }

    public int Int32 { get; set; }

    public uint UInt32 { get; set; }

    public long Int64 { get; set; }

    public ulong UInt64 { get; set; }

    public float Single { get; set; }

    public double Double { get; set; }

    public decimal Decimal { get; set; }

    public char Char { get; set; }

    public string? String { get; set; }

    public byte[]? Bytes { get; set; }

    public Guid Guid { get; set; }

    public DateTime DateTime { get; set; }

    public DateTimeOffset DateTimeOffset { get; set; }

    public TimeSpan TimeSpan { get; set; }

    public Color Color { get; set; }

    public Tiny Tiny { get; set; }

    public Signed Signed { get; set; }

    public Access Access { get; set; }

    public int? NullableInt { get; set; }

    public DateTime? NullableDate { get; set; }

    public Point Point { get; set; }

    public Point? NullablePoint { get; set; }

    public object? Dynamic { get; set; }
}

/// <summary>The sample DTO whose bytes are kept as a snapshot.</summary>
public sealed class OrderSnapshot
{
    public int Id { get; set; }

    public string Customer { get; set; } = string.Empty;

    public DateTime PlacedAt { get; set; }

    public decimal Total { get; set; }

    public Color Status { get; set; }

    public Guid Reference { get; set; }

    public TimeSpan Window { get; set; }

    public List<OrderLine> Lines { get; set; } = [];

    public Dictionary<string, string>? Notes { get; set; }

    public long? Coupon { get; set; }
}

public sealed record OrderLine(string Sku, int Quantity, double Price);
