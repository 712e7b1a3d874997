using System.Buffers;
using HybridCaching.Serialization;
using HybridCaching.Serialization.MessagePackFormatters;
using MessagePack;
using MessagePack.Formatters;
using MessagePack.Resolvers;

namespace HybridCaching.Tests.Serialization;

public class MessagePackCacheSerializerTests
{
    private static readonly MessagePackCacheSerializer Serializer = MessagePackCacheSerializer.Default;

    private static string Hex<T>(T value) => Convert.ToHexStringLower(Serializer.Serialize(value));

    private static T Read<T>(string hex) => Serializer.Deserialize<T>(Convert.FromHexString(hex));

    private static T RoundTrip<T>(T value) => Serializer.Deserialize<T>(Serializer.Serialize(value));

    [Fact]
    public void Serialize_GoNilSlice_IsNil()
    {
        // Go's []string(nil) is written as nil, an empty slice as an empty array: a null list and an empty one stay apart.
        Assert.Equal("c0", Hex<List<string>?>(null));
        Assert.Equal("90", Hex(new List<string>()));
        Assert.Null(Read<List<string>?>("c0"));
    }

    [Fact]
    public void Serialize_GoItemVector_MatchesGoBytes()
    {
        var item = new Item { ID = 7, Name = "n", Tags = ["a", "b"], Price = 1.5 };

        Assert.Equal("84a2494407a44e616d65a16ea45461677392a161a162a55072696365cb3ff8000000000000", Hex(item));
    }

    [Fact]
    public void Serialize_GoItemListVector_MatchesGoBytes()
    {
        List<Item> items = [new Item { ID = 1, Name = "a" }];

        Assert.Equal("9184a2494401a44e616d65a161a454616773c0a55072696365cb0000000000000000", Hex(items));
    }

    [Fact]
    public void Serialize_GoStringAndNilVectors_MatchGoBytes()
    {
        Assert.Equal("a162", Hex("b"));
        Assert.Equal("c0", Hex<string?>(null));
        Assert.Equal("c0", Hex<Item?>(null));
    }

    [Fact]
    public void Deserialize_GoItemVector_ReturnsItem()
    {
        Item item = Read<Item>("84a2494407a44e616d65a16ea45461677392a161a162a55072696365cb3ff8000000000000");

        Assert.Equal(7, item.ID);
        Assert.Equal("n", item.Name);
        Assert.Equal(["a", "b"], item.Tags);
        Assert.Equal(1.5, item.Price);
    }

    [Fact]
    public void Deserialize_GoItemListVector_ReturnsList()
    {
        List<Item> items = Read<List<Item>>("9184a2494401a44e616d65a161a454616773c0a55072696365cb0000000000000000");

        Item item = Assert.Single(items);
        Assert.Equal(1, item.ID);
        Assert.Equal("a", item.Name);
        Assert.Null(item.Tags);
        Assert.Equal(0, item.Price);
    }

    [Fact]
    public void Deserialize_GoStringAndNilVectors_ReturnValues()
    {
        Assert.Equal("b", Read<string>("a162"));
        Assert.Null(Read<string?>("c0"));
        Assert.Null(Read<Item?>("c0"));
        Assert.Null(Read<List<Item>?>("c0"));
    }

    [Fact]
    public void Deserialize_GoSizedIntsAndBinStrings_Accepted()
    {
        // Go writes int64 fields at their width (d3...) and may hold strings as bin.
        Item item = Read<Item>("84" + "a24944d30000000000000009" + "a44e616d65c4016e" + "a454616773c0" + "a55072696365d3000000000000000a");

        Assert.Equal(9, item.ID);
        Assert.Equal("n", item.Name);
        Assert.Equal(10.0, item.Price);
    }

    [Fact]
    public void Deserialize_UnknownKeysAndMissingKeys_SkipsAndKeepsDefaults()
    {
        // {Extra: {x: [1, 2]}, ID: 3}
        Item item = Read<Item>("82a5457874726181a1789201" + "02a2494403");

        Assert.Equal(3, item.ID);
        Assert.Equal(string.Empty, item.Name);
        Assert.Null(item.Tags);
    }

    [Fact]
    public void Deserialize_KeysInAnyOrder_AssignsByName()
    {
        Item item = Read<Item>("83a55072696365cb3ff8000000000000a2494407a44e616d65a16e");

        Assert.Equal(7, item.ID);
        Assert.Equal("n", item.Name);
        Assert.Equal(1.5, item.Price);
    }

    [Fact]
    public void Deserialize_KeyDiffersInCase_IsUnknown()
    {
        Item item = Read<Item>("81a2696407");

        Assert.Equal(0, item.ID);
    }

    [Theory]
    [InlineData("cd0100", typeof(byte))]
    [InlineData("cc80", typeof(sbyte))]
    [InlineData("ce80000000", typeof(int))]
    [InlineData("ff", typeof(uint))]
    [InlineData("cf8000000000000000", typeof(long))]
    [InlineData("d0ff", typeof(ulong))]
    [InlineData("d2ffff0000", typeof(short))]
    [InlineData("ce00010000", typeof(ushort))]
    public void Deserialize_IntegerOverflow_ThrowsSerializationException(string hex, Type type)
    {
        byte[] data = Convert.FromHexString(hex);
        Action read = type == typeof(byte) ? () => Serializer.Deserialize<byte>(data)
            : type == typeof(sbyte) ? () => Serializer.Deserialize<sbyte>(data)
            : type == typeof(int) ? () => Serializer.Deserialize<int>(data)
            : type == typeof(uint) ? () => Serializer.Deserialize<uint>(data)
            : type == typeof(long) ? () => Serializer.Deserialize<long>(data)
            : type == typeof(ulong) ? () => Serializer.Deserialize<ulong>(data)
            : type == typeof(short) ? () => Serializer.Deserialize<short>(data)
            : () => Serializer.Deserialize<ushort>(data);

        Assert.Throws<MessagePackSerializationException>(read);
    }

    [Fact]
    public void Deserialize_OverflowInsideObject_ThrowsSerializationException()
    {
        // {Tiny: 256}
        Assert.Throws<MessagePackSerializationException>(() => Read<Scalars>("81a454696e79cd0100"));
    }

    [Fact]
    public void Integers_AnyWidth_DecodeIntoEveryTypeThatHoldsThem()
    {
        byte[] data = Serializer.Serialize(200L);

        Assert.Equal(200, Serializer.Deserialize<byte>(data));
        Assert.Equal(200, Serializer.Deserialize<short>(data));
        Assert.Equal(200, Serializer.Deserialize<ushort>(data));
        Assert.Equal(200, Serializer.Deserialize<int>(data));
        Assert.Equal(200u, Serializer.Deserialize<uint>(data));
        Assert.Equal(200UL, Serializer.Deserialize<ulong>(data));
        Assert.Equal(200.0, Serializer.Deserialize<double>(data));
        Assert.Equal(200m, Serializer.Deserialize<decimal>(data));
        Assert.Throws<MessagePackSerializationException>(() => Serializer.Deserialize<sbyte>(data));
    }

    [Fact]
    public void Scalars_EveryKind_RoundTrip()
    {
        var value = new Scalars
        {
            Bool = true,
            Byte = 255,
            SByte = -128,
            Int16 = short.MinValue,
            UInt16 = ushort.MaxValue,
            Int32 = int.MinValue,
            UInt32 = uint.MaxValue,
            Int64 = long.MinValue,
            UInt64 = ulong.MaxValue,
            Single = float.Epsilon,
            Double = double.MaxValue,
            Decimal = 79228162514264337593543950335m,
            Char = '€',
            String = "héllo 🌍",
            Bytes = [0, 1, 2, 255],
            Guid = Guid.NewGuid(),
            DateTime = new DateTime(2024, 2, 29, 23, 59, 59, DateTimeKind.Utc).AddTicks(1234567),
            DateTimeOffset = new DateTimeOffset(1969, 7, 20, 20, 17, 40, TimeSpan.Zero),
            TimeSpan = TimeSpan.FromTicks(-123456789),
            Color = Color.Blue,
            Tiny = Tiny.B,
            Signed = Signed.Min,
            Access = Access.Read | Access.Write,
            NullableInt = 5,
            NullableDate = null,
            Point = new Point(-1, 2),
            NullablePoint = new Point(3, 4),
            Dynamic = "text",
        };

        Scalars copy = RoundTrip(value);

        Assert.Equal(System.Text.Json.JsonSerializer.Serialize(value), System.Text.Json.JsonSerializer.Serialize(copy));
    }

    [Fact]
    public void Collections_EveryShape_RoundTrip()
    {
        var value = new Collections
        {
            Array = [1, -2, 300],
            List = ["a", null!, "c"],
            Set = [1, 2, 3],
            Map = new() { ["x"] = 1, ["y"] = -1 },
            IntKeys = new() { [1] = "one", [-70000] = "minus" },
            GuidKeys = new() { [Guid.Empty] = [1, 2] },
            Enumerable = Enumerable.Range(0, 20).Where(i => i % 3 == 0),
            ReadOnlyList = ["r"],
            IList = new List<long> { long.MaxValue },
            ICollection = new List<byte> { 9 },
            ReadOnlyCollection = new short[] { -1 },
            ISet = new HashSet<string> { "s" },
            ReadOnlySet = new HashSet<string> { "t" },
            IDictionary = new Dictionary<string, double> { ["pi"] = Math.PI },
            ReadOnlyDictionary = new Dictionary<string, bool> { ["yes"] = true },
            Sorted = new() { ["b"] = 2, ["a"] = 1 },
            SortedSet = [3, 1, 2],
            Linked = new(["l1", "l2"]),
            Jagged = [[1], [], [2, 3]],
            Nested = new() { ["outer"] = new() { ["inner"] = ["v1", "v2"] } },
        };

        Collections copy = RoundTrip(value);

        Assert.Equal(System.Text.Json.JsonSerializer.Serialize(value), System.Text.Json.JsonSerializer.Serialize(copy));
        Assert.IsType<int[]>(copy.Enumerable);
        Assert.IsType<HashSet<string>>(copy.ISet);
        Assert.IsType<Dictionary<string, double>>(copy.IDictionary);
    }

    [Fact]
    public void Collections_Empty_RoundTripAsEmptyNotNull()
    {
        var value = new Collections { Array = [], List = [], Map = [], Enumerable = [] };

        Collections copy = RoundTrip(value);

        Assert.Empty(copy.Array!);
        Assert.Empty(copy.List!);
        Assert.Empty(copy.Map!);
        Assert.Empty(copy.Enumerable!);
        Assert.Null(copy.Set);
    }

    [Fact]
    public void Record_PositionalWithInitMember_BindsConstructorByName()
    {
        var person = new Person("Ada", 36, ["math"]) { Nickname = "Countess" };

        Person copy = RoundTrip(person);

        Assert.Equal("Ada", copy.Name);
        Assert.Equal(36, copy.Age);
        Assert.Equal(["math"], copy.Tags);
        Assert.Equal("Countess", copy.Nickname);
    }

    [Fact]
    public void Record_Serialize_LeavesOutComputedMembers()
    {
        // MessagePack-CSharp writes only members it can read back (settable or constructor-bound); Go has no computed members.
        string hex = Hex(new Person("A", 1, []));

        Assert.DoesNotContain(Convert.ToHexStringLower("Computed"u8), hex, StringComparison.Ordinal);
        Assert.Contains(Convert.ToHexStringLower("Nickname"u8), hex, StringComparison.Ordinal);
        Assert.Equal(1, RoundTrip(new Person("A", 1, [])).Age);
    }

    [Fact]
    public void Record_MissingParameters_GetTypeDefaults()
    {
        // {Name: "x"}: MessagePack-CSharp passes default(T) for a parameter missing from the data, not its declared default.
        WithDefaults value = Read<WithDefaults>("81a44e616d65a178");

        Assert.Equal(new WithDefaults("x", 0, default, 0m, null), value);
    }

    [Fact]
    public void Struct_ReadonlyRecordAndConstructorOnly_RoundTrip()
    {
        Assert.Equal(new Point(5, -6), RoundTrip(new Point(5, -6)));

        ImmutablePair pair = RoundTrip(new ImmutablePair("k", long.MinValue));
        Assert.Equal("k", pair.Key);
        Assert.Equal(long.MinValue, pair.Value);

        MutableStruct mutable = RoundTrip(new MutableStruct { A = 3, B = "b" });
        Assert.Equal(3, mutable.A);
        Assert.Equal("b", mutable.B);
    }

    [Fact]
    public void InitOnly_RequiredAndDefaulted_SetWhenPresentKeptWhenMissing()
    {
        InitOnly full = RoundTrip(new InitOnly { Id = "id", Version = 9, Created = new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc) });
        Assert.Equal("id", full.Id);
        Assert.Equal(9, full.Version);
        Assert.Equal(new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc), full.Created);

        InitOnly partial = Read<InitOnly>("81a24964a0");
        Assert.Equal(string.Empty, partial.Id);
        Assert.Equal(7, partial.Version);
    }

    [Fact]
    public void Attributes_RenameAndIgnore_Honoured()
    {
        var value = new Renamed { Name = "x", Age = 3, Secret = "s", Hidden = "h", Plain = "p" };

        byte[] data = Serializer.Serialize(value);
        Renamed copy = Serializer.Deserialize<Renamed>(data);

        Assert.Equal("83a16ea178a16103a5506c61696ea170", Convert.ToHexStringLower(data));
        Assert.Equal("x", copy.Name);
        Assert.Equal(3, copy.Age);
        Assert.Equal("keep", copy.Secret);
        Assert.Equal("hide", copy.Hidden);
        Assert.Equal("p", copy.Plain);
    }

    [Fact]
    public void RecursiveType_Nested_RoundTrips()
    {
        var root = new Node { Value = 1, Next = new Node { Value = 2 }, Children = [new Node { Value = 3, Children = [] }] };

        Node copy = RoundTrip(root);

        Assert.Equal(2, copy.Next!.Value);
        Assert.Null(copy.Next.Next);
        Assert.Equal(3, copy.Children![0].Value);
    }

    [Fact]
    public void Inheritance_BaseMembersFirstOverrideOnce_RoundTrips()
    {
        var bird = new Bird { Name = "robin", Legs = 2, CanFly = true };

        string hex = Hex(bird);
        Bird copy = RoundTrip(bird);

        Assert.StartsWith("83a44e616d65", hex, StringComparison.Ordinal);
        Assert.Equal("robin", copy.Name);
        Assert.True(copy.CanFly);
    }

    [Fact]
    public void Deserialize_ConstructorRejectsData_ThrowsSerializationException()
    {
        // {Name: ""}
        MessagePackSerializationException ex = Assert.Throws<MessagePackSerializationException>(() => Read<Validating>("81a44e616d65a0"));

        Assert.IsAssignableFrom<ArgumentException>(ex.InnerException);
    }

    [Fact]
    public void Deserialize_TrailingBytes_Throws()
    {
        Assert.Throws<MessagePackSerializationException>(() => Read<string>("a16201"));
    }

    [Fact]
    public void Deserialize_SequenceOfSegments_ReadsLikeOneBlock()
    {
        // "ab" then 1234567, split inside each value; then the same with a trailing byte in its own segment.
        byte[] text = Convert.FromHexString("a26162"), number = Convert.FromHexString("ce0012d687");

        Assert.Equal("ab", Serializer.Deserialize<string>(Segments(text[..1], text[1..])));
        Assert.Equal(1_234_567, Serializer.Deserialize<int>(Segments(number[..2], number[2..])));
        MessagePackSerializationException ex = Assert.Throws<MessagePackSerializationException>(() => Serializer.Deserialize<string>(Segments(text[..2], text[2..], [0x01])));
        Assert.StartsWith("1 bytes follow", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Deserialize_NilIntoValueType_Throws()
    {
        Assert.Throws<MessagePackSerializationException>(() => Read<int>("c0"));
        Assert.Throws<MessagePackSerializationException>(() => Read<Point>("c0"));
        Assert.Null(Read<int?>("c0"));
    }

    [Fact]
    public void Deserialize_NilDictionaryKey_Throws()
    {
        Assert.Throws<MessagePackSerializationException>(() => Read<Dictionary<string, int>>("81c001"));
    }

    [Fact]
    public void Deserialize_RepeatedMapKey_Throws()
    {
        // {a: 1, a: 2}
        Assert.Throws<MessagePackSerializationException>(() => Read<Dictionary<string, int>>("82a16101a16102"));
        Assert.Throws<MessagePackSerializationException>(() => Read<object>("82a16101a16102"));
    }

    [Fact]
    public void Deserialize_DeeperThanLimit_Throws()
    {
        string hex = string.Concat(Enumerable.Repeat("91", 65)) + "c0";

        Assert.Throws<MessagePackSerializationException>(() => Read<object>(hex));
        Assert.NotNull(Read<object>(string.Concat(Enumerable.Repeat("91", 63)) + "c0"));
    }

    [Fact]
    public void Deserialize_RecursiveTypeTooDeep_Throws()
    {
        // {Next: {Next: ... }} 100 levels.
        string hex = string.Concat(Enumerable.Repeat("81a44e657874", 100)) + "c0";

        Assert.Throws<MessagePackSerializationException>(() => Read<Node>(hex));
    }


    [Fact]
    public void Deserialize_CountBeyondRemainingBytes_ThrowsBeforeAllocating()
    {
        // An array of 2^32-1 ints, a map of 2^32-1 entries, and a 65535-element array in 3 bytes.
        foreach (string hex in new[] { "ddffffffff01", "dfffffffff0101", "dcffff01" })
        {
            byte[] data = Convert.FromHexString(hex);
            long before = GC.GetAllocatedBytesForCurrentThread();
            Assert.Throws<MessagePackSerializationException>(() => Serializer.Deserialize<List<int>>(data));
            Assert.Throws<MessagePackSerializationException>(() => Serializer.Deserialize<Dictionary<long, int>>(data));
            Assert.Throws<MessagePackSerializationException>(() => Serializer.Deserialize<object>(data));
            Assert.InRange(GC.GetAllocatedBytesForCurrentThread() - before, 0, 64 * 1024);
        }
    }

    [Fact]
    public void Serialize_CyclicGraph_ThrowsSerializationException()
    {
        var node = new Node { Value = 1 };
        node.Next = node;
        var list = new List<object?>();
        list.Add(list);

        Assert.Throws<MessagePackSerializationException>(() => Serializer.Serialize(node));
        Assert.Throws<MessagePackSerializationException>(() => Serializer.Serialize<object>(list));
        Assert.Equal(3, RoundTrip(new Node { Value = 1, Next = new Node { Next = new Node { Value = 3 } } }).Next!.Next!.Value);
    }

    [Fact]
    public void Serialize_DeepButFiniteGraph_UpToTheLimit()
    {
        static Node Chain(int length) => length == 1 ? new Node() : new Node { Next = Chain(length - 1) };

        Assert.NotNull(RoundTrip(Chain(MessagePackCacheSerializer.DefaultMaxDepth)));
        Assert.Throws<MessagePackSerializationException>(() => Serializer.Serialize(Chain(MessagePackCacheSerializer.DefaultMaxDepth + 1)));
    }

    [Fact]
    public void Constructor_NullOptions_Throws()
    {
        Assert.Throws<ArgumentNullException>(() => new MessagePackCacheSerializer(null!));
    }

    [Fact]
    public void DefaultOptions_UntrustedDataSecurity()
    {
        MessagePackSerializerOptions options = MessagePackCacheSerializer.DefaultOptions;

        Assert.True(options.Security.HashCollisionResistant);
        Assert.Equal(MessagePackCacheSerializer.DefaultMaxDepth, options.Security.MaximumObjectGraphDepth);
        Assert.Same(options, Serializer.Options);
    }

    [Fact]
    public void Constructor_UserOptions_UsesTheirResolver()
    {
        // A user's options: their own resolver, without the Go-compatible formatters: TimeSpan as MessagePack-CSharp's ticks.
        var serializer = new MessagePackCacheSerializer(MessagePackSerializerOptions.Standard);

        Assert.Equal("ce00989680", Convert.ToHexStringLower(serializer.Serialize(TimeSpan.FromSeconds(1))));
        Assert.Equal("ce3b9aca00", Hex(TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public void UserResolverBeforeGoContractless_MembersUseItsFormatters_DefaultOptionsKeepTheirs()
    {
        // The recipe of docs/serialization.md: your formatters first, the Go-compatible choices after them.
        var shouting = MessagePackCacheSerializer.DefaultOptions.WithResolver(
            CompositeResolver.Create([new UpperCaseStringFormatter()], [GoContractlessResolver.Instance]));
        var value = new Item { ID = 7, Name = "n", Tags = ["a"], Price = 1.5 };

        Item loud = Serializer.Deserialize<Item>(new MessagePackCacheSerializer(shouting).Serialize(value));

        Assert.Equal(("N", "A"), (loud.Name, loud.Tags![0]));
        Assert.Equal("84a2494407a44e616d65a16ea45461677391a161a55072696365cb3ff8000000000000", Hex(value));
    }

    [Fact]
    public void DateTime_Kinds_WrittenAsUtcInstantReadAsUtc()
    {
        var utc = new DateTime(2023, 11, 14, 22, 13, 20, DateTimeKind.Utc);
        DateTime local = utc.ToLocalTime();
        var unspecified = DateTime.SpecifyKind(utc, DateTimeKind.Unspecified);

        Assert.Equal("d6ff6553f100", Hex(utc));
        Assert.Equal("d6ff6553f100", Hex(local));
        Assert.Equal("d6ff6553f100", Hex(unspecified));
        DateTime read = Read<DateTime>("d6ff6553f100");
        Assert.Equal(utc, read);
        Assert.Equal(DateTimeKind.Utc, read.Kind);
    }

    [Fact]
    public void DateTime_GoZeroTime_IsMinValue()
    {
        Assert.Equal(DateTime.MinValue, Read<DateTime>("c70cff00000000fffffff1886e0900"));
        Assert.Equal("c70cff00000000fffffff1886e0900", Hex(DateTime.MinValue));
    }

    [Fact]
    public void DateTimeOffset_NonZeroOffset_KeepsInstantNotOffset()
    {
        var value = new DateTimeOffset(2023, 11, 15, 3, 13, 20, TimeSpan.FromHours(5));

        DateTimeOffset copy = RoundTrip(value);

        Assert.Equal(value.UtcDateTime, copy.UtcDateTime);
        Assert.Equal(TimeSpan.Zero, copy.Offset);
    }

    [Fact]
    public void Decimal_WrittenAsInvariantStringWithScale()
    {
        Assert.Equal("a531322e3530", Hex(12.50m));
        Assert.Equal(12.50m, Read<decimal>("a531322e3530"));
        Assert.Equal("12.50", Read<decimal>("a531322e3530").ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(1.5m, Read<decimal>("cb3ff8000000000000"));
        Assert.Equal(18446744073709551615m, Read<decimal>("cfffffffffffffffff"));
        Assert.Throws<MessagePackSerializationException>(() => Read<decimal>("a3616263"));
        Assert.Throws<MessagePackSerializationException>(() => Read<decimal>("cb7ff0000000000000"));
    }

    [Fact]
    public void TimeSpan_WrittenAsGoDurationNanoseconds()
    {
        Assert.Equal("ce3b9aca00", Hex(TimeSpan.FromSeconds(1)));
        Assert.Equal(TimeSpan.FromSeconds(1), Read<TimeSpan>("ce3b9aca00"));
        Assert.Equal(TimeSpan.MaxValue, RoundTrip(TimeSpan.MaxValue));
        Assert.Equal(TimeSpan.MinValue, RoundTrip(TimeSpan.MinValue));
        Assert.Equal(TimeSpan.FromTicks(1), Read<TimeSpan>("cc96"));
        Assert.IsType<OverflowException>(Assert.Throws<MessagePackSerializationException>(() => Serializer.Serialize(TimeSpan.FromDays(365 * 300))).InnerException);
    }

    [Fact]
    public void Guid_WrittenAsBigEndianBin16TextAccepted()
    {
        var guid = Guid.Parse("00112233-4455-6677-8899-aabbccddeeff");

        Assert.Equal("c41000112233445566778899aabbccddeeff", Hex(guid));
        Assert.Equal(guid, Read<Guid>("c41000112233445566778899aabbccddeeff"));
        Assert.Equal(guid, Serializer.Deserialize<Guid>(Serializer.Serialize("00112233-4455-6677-8899-aabbccddeeff")));
        Assert.Throws<MessagePackSerializationException>(() => Read<Guid>("a3616263"));
    }

    [Fact]
    public void Char_WrittenAsInteger()
    {
        Assert.Equal("cd20ac", Hex('€'));
        Assert.Equal('€', Read<char>("cd20ac"));
        Assert.Throws<MessagePackSerializationException>(() => Read<char>("ce00010000"));
    }

    [Fact]
    public void Enum_WrittenAsUnderlyingInteger()
    {
        Assert.Equal("cd012c", Hex(Color.Blue));
        Assert.Equal(Color.Blue, Read<Color>("cd012c"));
        Assert.Equal((Color)99, Read<Color>("63"));
        Assert.Equal("d38000000000000000", Hex(Signed.Min));
        Assert.Throws<MessagePackSerializationException>(() => Read<Tiny>("cd0100"));
    }

    [Fact]
    public void String_BinAccepted_LoneSurrogateReplaced()
    {
        Assert.Equal("hi", Read<string>("c4026869"));
        Assert.Equal("\uFFFD", RoundTrip("\uD800"));
    }

    [Fact]
    public void ByteArray_WrittenAsBinStrAccepted()
    {
        Assert.Equal("c403010203", Hex(new byte[] { 1, 2, 3 }));
        Assert.Equal([0x68, 0x69], Read<byte[]>("a26869"));
    }

    [Fact]
    public void Object_DynamicRead_MapsFamiliesToFixedTypes()
    {
        object? value = Read<object>("89" + "a161c0" + "a162c3" + "a163d0fb" + "a164cfffffffffffffffff" + "a169cf0000000000000001" + "a165ca3fc00000" + "a166c40101" + "a1679201a0" + "a168d6ff6553f100");

        var map = Assert.IsType<Dictionary<object, object?>>(value);
        Assert.Null(map["a"]);
        Assert.Equal(true, map["b"]);
        Assert.Equal(-5L, map["c"]);
        Assert.Equal(ulong.MaxValue, map["d"]);
        Assert.Equal(1L, map["i"]);
        Assert.Equal(1.5f, map["e"]);
        Assert.Equal(new byte[] { 1 }, map["f"]);
        Assert.Equal(new object?[] { 1L, string.Empty }, map["g"]);
        Assert.Equal(new DateTime(2023, 11, 14, 22, 13, 20, DateTimeKind.Utc), map["h"]);
        Assert.Throws<MessagePackSerializationException>(() => Read<object>("d40501"));
    }

    [Fact]
    public void Object_DynamicWrite_UsesRuntimeType()
    {
        object value = new Item { ID = 7, Name = "n", Tags = ["a", "b"], Price = 1.5 };

        Assert.Equal("84a2494407a44e616d65a16ea45461677392a161a162a55072696365cb3ff8000000000000", Hex(value));
        Assert.Equal("80", Hex(new object()));
    }

    [Fact]
    public void Serialize_UnsupportedType_ThrowsSerializationException()
    {
        Assert.Throws<MessagePackSerializationException>(() => Serializer.Serialize<IDisposable>(new MemoryStream()));
        Assert.Throws<MessagePackSerializationException>(() => Serializer.Deserialize<IDisposable>([0x80]));
    }


    [Fact]
    public void Attributes_KeyAsPropertyName_WritesAndReadsTheGoItemMap()
    {
        const string GoItem = "84a2494407a44e616d65a16ea45461677392a161a162a55072696365cb3ff8000000000000";

        Assert.Equal(GoItem, Hex(new KeyedItem { ID = 7, Name = "n", Tags = ["a", "b"], Price = 1.5 }));
        KeyedItem item = Read<KeyedItem>(GoItem);
        Assert.Equal((7, "n", 1.5), (item.ID, item.Name, item.Price));
        Assert.Equal(["a", "b"], item.Tags!);
    }

    [Fact]
    public void Attributes_IntegerKeys_WrittenAsArray()
    {
        Assert.Equal("9207a178", Hex(new Indexed { Id = 7, Name = "x" }));
        Assert.Equal("x", Read<Indexed>("9207a178").Name);
    }

    [Fact]
    public void Serialize_IntoBufferWriter_AppendsSameBytes()
    {
        var buffer = new ArrayBufferWriter<byte>();
        buffer.Write(new byte[] { 0xff });

        Serializer.Serialize(new Item { ID = 7, Name = "n", Tags = ["a", "b"], Price = 1.5 }, buffer);

        Assert.Equal("ff84a2494407a44e616d65a16ea45461677392a161a162a55072696365cb3ff8000000000000", Convert.ToHexStringLower(buffer.WrittenSpan));
    }

    [Fact]
    public void Serialize_ThroughInterface_UsesPooledOverload()
    {
        ICacheSerializer serializer = Serializer;

        Assert.Equal("a162", Convert.ToHexStringLower(serializer.Serialize("b")));
    }

    [Fact]
    public void Serialize_ConcurrentFirstUse_BuildsOneConverter()
    {
        Parallel.For(0, 64, i =>
        {
            var node = new Node { Value = i, Children = [new Node { Value = -i }] };
            Assert.Equal(-i, RoundTrip(node).Children![0].Value);
        });
    }

    private sealed class UpperCaseStringFormatter : IMessagePackFormatter<string?>
    {
        public void Serialize(ref MessagePackWriter writer, string? value, MessagePackSerializerOptions options) => writer.Write(value?.ToUpperInvariant());

        public string? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options) => reader.ReadString();
    }

    private static ReadOnlySequence<byte> Segments(params byte[][] parts)
    {
        var first = new Segment(parts[0], 0);
        var last = first;
        foreach (var part in parts[1..])
        {
            last = last.Append(part);
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(byte[] bytes, long runningIndex) => (Memory, RunningIndex) = (bytes, runningIndex);

        public Segment Append(byte[] bytes) => (Segment)(Next = new Segment(bytes, RunningIndex + Memory.Length));
    }
}
