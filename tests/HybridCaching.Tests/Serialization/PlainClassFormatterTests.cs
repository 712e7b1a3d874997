using System.Buffers;
using HybridCaching.Serialization;
using HybridCaching.Serialization.MessagePackFormatters;
using MessagePack;
using MessagePack.Formatters;
using MessagePack.Resolvers;

namespace HybridCaching.Tests.Serialization;

/// <summary>
/// The default options write plain classes with <see cref="PlainClassFormatter{T}"/> instead of MessagePack-CSharp's
/// contractless formatter. These tests hold it to contractless: the same bytes, the same values read (in any key order,
/// with unknown, missing and repeated keys), the same verdict on malformed input. The reference is contractless with the
/// same Go formatters in front, which is what the default options were before.
/// </summary>
public class PlainClassFormatterTests
{
    private const int Seed = 20_261_129;

    private static readonly MessagePackSerializerOptions Ours = MessagePackCacheSerializer.DefaultOptions;

    private static readonly MessagePackSerializerOptions Reference = Ours.WithResolver(
        CompositeResolver.Create(GoCompatibleResolver.Instance, ContractlessStandardResolver.Instance));

    public static TheoryData<Type> PlainTypes => new() { typeof(Everything), typeof(Scalars), typeof(Collections), typeof(Node), typeof(OrderSnapshot), typeof(Animal), typeof(Page<Everything>), typeof(Empty), typeof(MutableRecord), typeof(WithRequired), typeof(WithNonPublicAndStatic) };

    public static TheoryData<Type> OtherTypes => new()
    {
        typeof(Item), typeof(Person), typeof(WithDefaults), typeof(InitOnly), typeof(Renamed), typeof(Indexed), typeof(Bird),
        typeof(Validating), typeof(GetOnly), typeof(TwoConstructors), typeof(PrivateSetter), typeof(Callbacks), typeof(MutableStruct),
    };

    [Theory]
    [MemberData(nameof(PlainTypes))]
    public void DefaultResolver_PlainClass_GetsTheEmittedFormatter(Type type)
    {
        object formatter = FormatterOf(type);

        Assert.Equal(typeof(PlainClassFormatter<>).MakeGenericType(type), formatter.GetType());
        Assert.True((bool)formatter.GetType().GetMethod(nameof(PlainClassFormatter<Empty>.IsCompiledFor), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!
            .Invoke(formatter, [Ours.Resolver])!);
    }

    [Theory]
    [MemberData(nameof(OtherTypes))]
    public void DefaultResolver_OtherShapes_KeepMessagePackFormatters(Type type)
    {
        object formatter = FormatterOf(type);

        Assert.False(formatter.GetType().IsGenericType && formatter.GetType().GetGenericTypeDefinition() == typeof(PlainClassFormatter<>));
    }

    [Fact]
    public void Serialize_RandomValues_SameBytesAsContractless()
    {
        var random = new Random(Seed);
        for (int i = 0; i < 500; i++)
        {
            Everything value = Everything.Random(random, depth: 2);

            byte[] ours = MessagePackSerializer.Serialize(value, Ours);

            Assert.Equal(MessagePackSerializer.Serialize(value, Reference), ours);
            Assert.Equal(ours, MessagePackSerializer.Serialize(MessagePackSerializer.Deserialize<Everything>(ours, Ours), Ours));
        }
    }

    [Fact]
    public void Serialize_TestTypes_SameBytesAsContractless()
    {
        AssertSameBytes(SnapshotTests.SampleOrder());
        AssertSameBytes(new Node { Value = 1, Next = new Node { Value = 2 }, Children = [new Node(), new Node { Children = [] }] });
        AssertSameBytes(new Animal { Name = "cat" });
        AssertSameBytes<Animal>(new Bird { Name = "tit", CanFly = true });
        AssertSameBytes(new Page<Everything> { Items = [Everything.Random(new Random(1), 1)], Next = "n" });
        AssertSameBytes(new Empty());
        AssertSameBytes(new MutableRecord { A = 1, B = "b" });
        AssertSameBytes(new WithRequired { Name = "r" });
        AssertSameBytes(new WithNonPublicAndStatic { Shown = 3 });
        AssertSameBytes<Everything?>(null);
    }

    [Fact]
    public void Deserialize_KeysShuffledUnknownMissingAndRepeated_ReadsWhatContractlessReads()
    {
        var random = new Random(Seed);
        for (int i = 0; i < 300; i++)
        {
            byte[] valid = MessagePackSerializer.Serialize(Everything.Random(random, depth: 1), Ours);
            byte[] reshaped = Reshape(valid, random);

            AssertSameReading<Everything>(reshaped);
        }
    }

    [Fact]
    public void Deserialize_EmptyKey_SameVerdictAsContractless()
    {
        byte[] emptyKeyThenId = [0x82, 0xa0, 0x01, 0xa3, (byte)'I', (byte)'3', (byte)'2', 0x05];

        Assert.False(AssertSameReading<Everything>(emptyKeyThenId));
        AssertSameReading<Empty>([0x81, 0xa0, 0x01]);
    }

    [Fact]
    public void Deserialize_MutatedInput_SameVerdictAsContractless()
    {
        var random = new Random(Seed);
        byte[][] valid =
        [
            .. Enumerable.Range(0, 20).Select(_ => MessagePackSerializer.Serialize(Everything.Random(random, depth: 2), Ours)),
        ];

        int failures = 0;
        for (int i = 0; i < 20_000; i++)
        {
            byte[] data = (byte[])valid[random.Next(valid.Length)].Clone();
            int changes = 1 + random.Next(3);
            for (int c = 0; c < changes; c++)
            {
                data[random.Next(data.Length)] = (byte)random.Next(256);
            }

            failures += AssertSameReading<Everything>(data) ? 0 : 1;
        }

        // Both outcomes must have been exercised for the comparison to mean anything.
        Assert.InRange(failures, 1_000, 19_000);
    }

    [Fact]
    public void UserResolverFirst_MembersUseItsFormatters_AndEachResolverKeepsItsOwn()
    {
        var shouting = Ours.WithResolver(CompositeResolver.Create([new UpperCaseStringFormatter()], [GoContractlessResolver.Instance]));
        var value = new Page<string> { Items = ["a"], Next = "next" };

        for (int i = 0; i < 3; i++)
        {
            Assert.Equal("NEXT", MessagePackSerializer.Deserialize<Page<string>>(MessagePackSerializer.Serialize(value, shouting), Ours).Next);
            Assert.Equal("A", MessagePackSerializer.Deserialize<Page<string>>(MessagePackSerializer.Serialize(value, shouting), Ours).Items![0]);
            Assert.Equal("next", MessagePackSerializer.Deserialize<Page<string>>(MessagePackSerializer.Serialize(value, Ours), Ours).Next);
        }
    }

    [Fact]
    public async Task ManyThreadsWithTwoResolvers_EachGetsItsOwnMembersFormatters()
    {
        var shouting = Ours.WithResolver(CompositeResolver.Create([new UpperCaseStringFormatter()], [GoContractlessResolver.Instance]));
        var value = new Page<string> { Items = ["a"], Next = "next" };
        byte[] plain = MessagePackSerializer.Serialize(value, Reference);
        byte[] loud = MessagePackSerializer.Serialize(new Page<string> { Items = ["A"], Next = "NEXT" }, Reference);

        int wrong = 0;
        await Task.WhenAll(Enumerable.Range(0, 4).Select(t => Task.Run(() =>
        {
            for (int i = 0; i < 5_000; i++)
            {
                bool shout = (i + t) % 2 == 0;
                byte[] bytes = MessagePackSerializer.Serialize(value, shout ? shouting : Ours);
                if (!bytes.AsSpan().SequenceEqual(shout ? loud : plain))
                {
                    Interlocked.Increment(ref wrong);
                }
            }
        })));

        Assert.Equal(0, wrong);
    }

    [Fact]
    public void ResolverWithoutAMemberFormatter_FailsAsContractlessDoes()
    {
        var options = Ours.WithResolver(new WithoutGuid());
        var formatter = (PlainClassFormatter<HasGuid>)GoContractlessResolver.Instance.GetFormatter<HasGuid>()!;

        Assert.Throws<MessagePackSerializationException>(() => MessagePackSerializer.Serialize(new HasGuid { Id = 1 }, options));
        Assert.False(formatter.IsCompiledFor(options.Resolver));

        // Contractless asks for a member's formatter only when its key is read: a map without it still reads.
        byte[] withoutGuid = [0x81, 0xa2, (byte)'I', (byte)'d', 0x05];
        Assert.Equal(5, MessagePackSerializer.Deserialize<HasGuid>(withoutGuid, options).Id);
    }

    [Fact]
    public void Serialize_CyclicPlainClass_RaisesSerializationException()
    {
        var node = new Node { Value = 1 };
        node.Next = node;

        var error = Assert.Throws<MessagePackSerializationException>(() => MessagePackCacheSerializer.Default.Serialize(node));

        Assert.Contains("deeper", error.ToString(), StringComparison.Ordinal);
        Assert.NotNull(MessagePackCacheSerializer.Default.Serialize(new Node { Value = 2 }));
    }

    private static object FormatterOf(Type type) =>
        typeof(GoContractlessResolver).GetMethod(nameof(GoContractlessResolver.GetFormatter))!.MakeGenericMethod(type).Invoke(GoContractlessResolver.Instance, null)
        ?? throw new InvalidOperationException($"No formatter for {type}.");

    private static void AssertSameBytes<T>(T value) =>
        Assert.Equal(MessagePackSerializer.Serialize(value, Reference), MessagePackSerializer.Serialize(value, Ours));

    /// <summary>Reads <paramref name="data"/> with both; returns whether they succeeded, asserting they agree.</summary>
    private static bool AssertSameReading<T>(byte[] data)
    {
        (T? Value, Exception? Error) ours = Read<T>(data, Ours);
        (T? Value, Exception? Error) reference = Read<T>(data, Reference);

        Assert.True((ours.Error is null) == (reference.Error is null), $"ours: {ours.Error?.ToString() ?? "ok"}; contractless: {reference.Error?.ToString() ?? "ok"}; input {Convert.ToHexString(data)}");
        if (ours.Error is not null)
        {
            Assert.IsType<MessagePackSerializationException>(ours.Error);
            return false;
        }

        Assert.Equal(MessagePackSerializer.Serialize(reference.Value, Reference), MessagePackSerializer.Serialize(ours.Value, Reference));
        return true;
    }

    private static (T? Value, Exception? Error) Read<T>(byte[] data, MessagePackSerializerOptions options)
    {
        try
        {
            return (MessagePackSerializer.Deserialize<T>(data, options), null);
        }
        catch (Exception e)
        {
            return (default, e);
        }
    }

    /// <summary>Rewrites a top-level map: its entries shuffled, some dropped, some repeated, unknown ones added.</summary>
    private static byte[] Reshape(byte[] valid, Random random)
    {
        var reader = new MessagePackReader(valid);
        int count = reader.ReadMapHeader();
        var entries = new List<(byte[] Key, byte[] Value)>();
        for (int i = 0; i < count; i++)
        {
            entries.Add((reader.ReadRaw().ToArray(), reader.ReadRaw().ToArray()));
        }

        var shaped = entries.Where(_ => random.Next(5) != 0).OrderBy(_ => random.Next()).ToList();
        if (entries.Count > 0 && random.Next(2) == 0)
        {
            shaped.Add(entries[random.Next(entries.Count)]);
        }

        if (random.Next(2) == 0)
        {
            shaped.Insert(random.Next(shaped.Count + 1), (Encode((ref MessagePackWriter w) => w.Write("Unknown")), Encode((ref MessagePackWriter w) => { w.WriteArrayHeader(2); w.Write(1); w.WriteMapHeader(1); w.Write("x"); w.WriteNil(); })));
        }

        return Encode((ref MessagePackWriter w) =>
        {
            w.WriteMapHeader(shaped.Count);
            foreach ((byte[] key, byte[] value) in shaped)
            {
                w.WriteRaw(key);
                w.WriteRaw(value);
            }
        });
    }

    private static byte[] Encode(WriteAction write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(buffer);
        write(ref writer);
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    private delegate void WriteAction(ref MessagePackWriter writer);

    public sealed class Empty
    {
    }

    public sealed class Page<T>
    {
        public List<T>? Items { get; set; }

        public string? Next { get; set; }
    }

    public sealed record MutableRecord
    {
        public int A { get; set; }

        public string? B { get; set; }
    }

    public sealed class WithRequired
    {
        public required string Name { get; set; }

        public int Count { get; set; } = 3;
    }

    public sealed class WithNonPublicAndStatic
    {
        public static int Counter { get; set; }

        public int Shown { get; set; }

        internal int Internal { get; set; } = 5;

        private int Hidden { get; set; } = 7;

        public int Sum() => Hidden + Internal;
    }

    public sealed class HasGuid
    {
        public int Id { get; set; }

        public Guid Key { get; set; }
    }

    public sealed class GetOnly
    {
        public int Id { get; set; }

        public int Twice => Id * 2;
    }

    public sealed class TwoConstructors
    {
        public TwoConstructors()
        {
        }

        public TwoConstructors(int id) => Id = id;

        public int Id { get; set; }
    }

    public sealed class PrivateSetter
    {
        public int Id { get; private set; }
    }

    public sealed class Callbacks : IMessagePackSerializationCallbackReceiver
    {
        public int Id { get; set; }

        public void OnBeforeSerialize()
        {
        }

        public void OnAfterDeserialize()
        {
        }
    }

    /// <summary>Every kind of member: each type contractless writes directly, byte[], Go's types, collections, nesting, object.</summary>
    public sealed class Everything
    {
        public short I16 { get; set; }

        public int I32 { get; set; }

        public long I64 { get; set; }

        public ushort U16 { get; set; }

        public uint U32 { get; set; }

        public ulong U64 { get; set; }

        public float F32 { get; set; }

        public double F64 { get; set; }

        public bool Flag { get; set; }

        public byte U8 { get; set; }

        public sbyte I8 { get; set; }

        public char Letter { get; set; }

        public byte[]? Bytes { get; set; }

        public string? Text { get; set; }

        public DateTime When { get; set; }

        public DateTimeOffset At { get; set; }

        public TimeSpan Span { get; set; }

        public Guid Id { get; set; }

        public decimal Money { get; set; }

        public Color Color { get; set; }

        public int? Maybe { get; set; }

        public List<string>? Tags { get; set; }

        public string[]? Names { get; set; }

        public Dictionary<string, int>? Counts { get; set; }

        public Everything? Child { get; set; }

        public List<Everything>? Children { get; set; }

        public object? Any { get; set; }

        // Names of every length class the keys are written and matched by: up to 8 bytes, 9 to 16, and longer; and UTF-8.
        public int Description { get; set; }

        public int SixteenCharsName { get; set; }

        public int AVeryLongMemberNameIndeed { get; set; }

        public int Größe { get; set; }

        public static Everything Random(Random r, int depth)
        {
            string? Text() => r.Next(6) == 0 ? null : new string(Enumerable.Range(0, r.Next(40)).Select(_ => (char)(r.Next(3) == 0 ? r.Next(0x80, 0x800) : r.Next(0x20, 0x7f))).ToArray());
            return new Everything
            {
                I16 = (short)r.Next(), I32 = r.Next(int.MinValue, int.MaxValue) >> r.Next(32), I64 = r.NextInt64(long.MinValue, long.MaxValue) >> r.Next(64),
                U16 = (ushort)r.Next(), U32 = (uint)r.NextInt64() >> r.Next(32), U64 = (ulong)r.NextInt64(long.MinValue, long.MaxValue) >> r.Next(64),
                F32 = (float)(r.NextDouble() * 1e6), F64 = r.NextDouble() * Math.Pow(10, r.Next(-5, 20)), Flag = r.Next(2) == 0, U8 = (byte)r.Next(256),
                I8 = (sbyte)r.Next(-128, 128), Letter = (char)r.Next(0x20, 0xd000),
                Bytes = r.Next(4) == 0 ? null : [.. Enumerable.Range(0, r.Next(300)).Select(_ => (byte)r.Next(256))],
                Text = Text(), When = DateTime.UnixEpoch.AddTicks(r.NextInt64(0, 3_000_000_000_000_000) - 600_000_000_000_000),
                At = DateTimeOffset.UnixEpoch.AddSeconds(r.Next()).ToOffset(TimeSpan.FromHours(r.Next(-12, 13))),
                Span = TimeSpan.FromTicks(r.NextInt64(-1_000_000_000_000, 1_000_000_000_000)), Id = new Guid([.. Enumerable.Range(0, 16).Select(_ => (byte)r.Next(256))]),
                Money = new decimal(r.NextDouble() * 1e6), Color = (Color)r.Next(0, 400), Maybe = r.Next(2) == 0 ? null : r.Next(),
                Tags = r.Next(3) == 0 ? null : [.. Enumerable.Range(0, r.Next(5)).Select(_ => Text() ?? "")],
                Names = r.Next(3) == 0 ? null : [.. Enumerable.Range(0, r.Next(4)).Select(_ => Text()!)],
                Counts = r.Next(3) == 0 ? null : Enumerable.Range(0, r.Next(4)).ToDictionary(i => "k" + i, _ => r.Next()),
                Child = depth > 0 && r.Next(2) == 0 ? Random(r, depth - 1) : null,
                Children = depth > 0 && r.Next(2) == 0 ? [.. Enumerable.Range(0, r.Next(3)).Select(_ => Random(r, depth - 1))] : null,
                Any = r.Next(4) switch { 0 => null, 1 => (long)r.Next(), 2 => Text(), _ => new object?[] { true, 1.5 } },
                Description = r.Next(), SixteenCharsName = r.Next(), AVeryLongMemberNameIndeed = r.Next(), Größe = r.Next(),
            };
        }
    }

    private sealed class UpperCaseStringFormatter : IMessagePackFormatter<string?>
    {
        public void Serialize(ref MessagePackWriter writer, string? value, MessagePackSerializerOptions options) => writer.Write(value?.ToUpperInvariant());

        public string? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options) => reader.ReadString();
    }

    private sealed class WithoutGuid : IFormatterResolver
    {
        public IMessagePackFormatter<T>? GetFormatter<T>() => typeof(T) == typeof(Guid) ? null : GoContractlessResolver.Instance.GetFormatter<T>();
    }
}
