using HybridCaching.Serialization;
using HybridCaching.Serialization.MessagePackFormatters;
using MessagePack;
using MessagePack.Formatters;
using MessagePack.Resolvers;

namespace HybridCaching.Tests.Serialization;

/// <summary>
/// The plain-class formatter against contractless in the corners the differential tests of
/// <see cref="PlainClassFormatterTests"/> do not reach. Each test states what contractless does.
/// </summary>
public class PlainClassEdgeCaseTests
{
    private static readonly MessagePackSerializerOptions Ours = MessagePackCacheSerializer.DefaultOptions;

    private static readonly MessagePackSerializerOptions Reference = Ours.WithResolver(
        CompositeResolver.Create(GoCompatibleResolver.Instance, ContractlessStandardResolver.Instance));

    /// <summary>Contractless matches keys by 8-byte words zero-padded at the end, so a key with trailing NUL bytes
    /// ("Id\0") names the member "Id"; a reader that means to match contractless must read it into Id too.</summary>
    [Theory]
    [InlineData("Id\0")]
    [InlineData("Id\0\0\0\0\0\0")]
    [InlineData("Description\0")]
    [InlineData("Id\0\0\0\0\0\0\0\0")] // zeros that run into a second word
    public void Deserialize_KeyWithTrailingNulBytes_ReadsWhatContractlessReads(string key)
    {
        byte[] data = Map(key, 5);

        Keyed reference = MessagePackSerializer.Deserialize<Keyed>(data, Reference);
        Keyed ours = MessagePackSerializer.Deserialize<Keyed>(data, Ours);

        Assert.Equal((reference.Id, reference.Description), (ours.Id, ours.Description));
    }

    /// <summary>A non-public class with a plain shape and [MessagePackFormatter] is written by its attribute's formatter
    /// under contractless; the default resolver must not fail on it.</summary>
    [Fact]
    public void Serialize_NonPublicClassWithFormatterAttribute_UsesTheAttributeFormatterAsContractlessDoes()
    {
        var value = new Attributed { Id = 7 };

        byte[] reference = MessagePackSerializer.Serialize(value, Reference);
        byte[] ours = MessagePackSerializer.Serialize(value, Ours);

        Assert.Equal(reference, ours);
        Assert.Equal(7, MessagePackSerializer.Deserialize<Attributed>(ours, Ours).Id);
    }

    /// <summary>Same cause as above: a non-public collection whose interface members are all explicit has a plain shape;
    /// contractless writes it with MessagePack's collection formatter, the default resolver must not fail on it.</summary>
    [Fact]
    public void Serialize_NonPublicCollectionWithExplicitMembers_UsesTheCollectionFormatterAsContractlessDoes()
    {
        var value = new ExplicitCollection { 1, 2 };

        byte[] reference = MessagePackSerializer.Serialize(value, Reference);
        byte[] ours = MessagePackSerializer.Serialize(value, Ours);

        Assert.Equal(reference, ours);
    }

    /// <summary>A public generic class over a non-public enum: whatever contractless does, the default resolver should do the same.</summary>
    [Fact]
    public void Serialize_GenericClassOverNonPublicEnum_SameVerdictAsContractless()
    {
        var value = new Box<Secret> { Value = Secret.B };

        Exception? reference = Record.Exception(() => MessagePackSerializer.Serialize(value, Reference));
        Exception? ours = Record.Exception(() => MessagePackSerializer.Serialize(value, Ours));

        Assert.True((reference is null) == (ours is null), $"contractless: {reference?.GetType().Name ?? "ok"} {reference?.InnerException?.Message}; ours: {ours?.GetType().Name ?? "ok"}");
        if (reference is null)
        {
            Assert.Equal(MessagePackSerializer.Serialize(value, Reference), MessagePackSerializer.Serialize(value, Ours));
        }
    }

    /// <summary>A member's formatter whose interface method is virtual and overridden by the formatter's class: the
    /// override must run (contractless calls through the interface).</summary>
    [Fact]
    public void Serialize_MemberFormatterOverridesAVirtualImplementation_CallsTheOverride() =>
        AssertMemberFormatterUsed(new OverridingFormatter());

    [Fact]
    public void Serialize_MemberFormatterImplementedExplicitly_IsCalled() => AssertMemberFormatterUsed(new ExplicitFormatter());

    [Fact]
    public void Serialize_MemberFormatterIsAStruct_IsCalled() => AssertMemberFormatterUsed(new StructFormatter());

    [Fact]
    public void Serialize_MemberFormatterInheritedFromGenericBase_IsCalled() => AssertMemberFormatterUsed(new InheritingFormatter());

    [Fact]
    public void Serialize_MemberFormatterIsADefaultInterfaceMethod_IsCalled() => AssertMemberFormatterUsed(new DefaultMethodFormatter());

    /// <summary>Contractless creates the object before it reads the map header, so a constructor that throws decides the
    /// error even when the input is not a map; the error's cause should be the same.</summary>
    [Fact]
    public void Deserialize_ConstructorThrowsAndInputIsNotAMap_SameCauseAsContractless()
    {
        byte[] notAMap = [0x01];

        var reference = Assert.Throws<MessagePackSerializationException>(() => MessagePackSerializer.Deserialize<ThrowingConstructor>(notAMap, Reference));
        var ours = Assert.Throws<MessagePackSerializationException>(() => MessagePackSerializer.Deserialize<ThrowingConstructor>(notAMap, Ours));

        Assert.Equal(reference.InnerException?.GetType(), ours.InnerException?.GetType());
    }

    /// <summary>A public class nested in a non-public one: contractless's dynamic assembly cannot reach it; whatever it does,
    /// the default resolver should do the same.</summary>
    [Fact]
    public void Serialize_PublicClassNestedInNonPublicClass_SameVerdictAsContractless()
    {
        var value = new Hidden.Inner { Id = 3 };

        Exception? reference = Record.Exception(() => MessagePackSerializer.Serialize(value, Reference));
        Exception? ours = Record.Exception(() => MessagePackSerializer.Serialize(value, Ours));

        Assert.True((reference is null) == (ours is null), $"contractless: {reference?.GetType().Name ?? "ok"} {reference?.InnerException?.Message}; ours: {ours?.GetType().Name ?? "ok"}");
    }

    /// <summary>Names longer than 31 bytes are written with a str8 header.</summary>
    [Fact]
    public void Serialize_LongMemberNames_SameBytesAsContractless()
    {
        var value = new LongNames { ThisPropertyNameIsLongerThanThirtyTwoBytesForSure = 1, Short = 2 };

        Assert.Equal(MessagePackSerializer.Serialize(value, Reference), MessagePackSerializer.Serialize(value, Ours));
        Assert.Equal(1, MessagePackSerializer.Deserialize<LongNames>(MessagePackSerializer.Serialize(value, Reference), Ours).ThisPropertyNameIsLongerThanThirtyTwoBytesForSure);
    }

    /// <summary>Under OldSpec (no str8, bin written as str) the precomputed keys and the byte[] member must still match contractless.</summary>
    [Fact]
    public void Serialize_OldSpec_SameBytesAsContractless()
    {
        var value = new LongNames { ThisPropertyNameIsLongerThanThirtyTwoBytesForSure = 1, Short = 2 };
        var bytes = new WithBytes { Bytes = [1, 2, 3], Text = new string('x', 40), Letter = 'é' };

        Assert.Equal(MessagePackSerializer.Serialize(value, Reference.WithOldSpec(true)), MessagePackSerializer.Serialize(value, Ours.WithOldSpec(true)));
        Assert.Equal(MessagePackSerializer.Serialize(bytes, Reference.WithOldSpec(true)), MessagePackSerializer.Serialize(bytes, Ours.WithOldSpec(true)));
    }

    /// <summary>A member whose type's formatter contractless builds in its dynamic assembly (a struct, and its nullable):
    /// the emitted call must reach it.</summary>
    [Fact]
    public void Serialize_StructMember_SameBytesAndValuesAsContractless()
    {
        var value = new WithStruct { Point = new Point { X = 1, Y = 2 }, Maybe = new Point { X = 3 } };

        byte[] ours = MessagePackSerializer.Serialize(value, Ours);

        Assert.Equal(MessagePackSerializer.Serialize(value, Reference), ours);
        WithStruct back = MessagePackSerializer.Deserialize<WithStruct>(ours, Ours);
        Assert.Equal((1, 2, 3), (back.Point.X, back.Point.Y, back.Maybe!.Value.X));
    }

    /// <summary>Four threads make the first calls on a fresh type at once, alternating two resolvers, so the per-resolver
    /// methods are compiled concurrently: every result must be the bytes its resolver writes.</summary>
    [Fact]
    public async Task Serialize_FirstUseRacesWithTwoResolvers_EveryCallWritesItsResolversBytes()
    {
        var shouting = Ours.WithResolver(CompositeResolver.Create([new OverridingFormatter()], [GoContractlessResolver.Instance]));
        var value = new RaceFresh { Text = "a", Items = ["b"] };
        byte[] plain = MessagePackSerializer.Serialize(value, Reference);
        byte[] loud = MessagePackSerializer.Serialize(value, Reference.WithResolver(CompositeResolver.Create([new OverridingFormatter()], [GoCompatibleResolver.Instance, ContractlessStandardResolver.Instance])));
        using var start = new Barrier(4);

        int wrong = 0;
        await Task.WhenAll(Enumerable.Range(0, 4).Select(t => Task.Run(() =>
        {
            start.SignalAndWait(TimeSpan.FromSeconds(20));
            for (int i = 0; i < 200; i++)
            {
                bool shout = (i + t) % 2 == 0;
                if (!MessagePackSerializer.Serialize(value, shout ? shouting : Ours).AsSpan().SequenceEqual(shout ? loud : plain))
                {
                    Interlocked.Increment(ref wrong);
                }
            }
        })));

        Assert.NotEqual(plain, loud);
        Assert.Equal(0, wrong);
    }

    /// <summary>Depth limits at the boundary: reading a chain of N nodes agrees with contractless (same security options),
    /// and writing is limited at <see cref="MessagePackCacheSerializer.DefaultMaxDepth"/> objects as before.</summary>
    [Theory]
    [InlineData(63)]
    [InlineData(64)]
    [InlineData(65)]
    public void NestedChain_AtTheDepthLimit_SameVerdictsAsBefore(int length)
    {
        var head = new Node { Value = 0 };
        Node last = head;
        for (int i = 1; i < length; i++)
        {
            last = last.Next = new Node { Value = i };
        }

        byte[] data = MessagePackSerializer.Serialize(head, Reference);
        Exception? reference = Record.Exception(() => MessagePackSerializer.Deserialize<Node>(data, Reference));
        Exception? ours = Record.Exception(() => MessagePackSerializer.Deserialize<Node>(data, Ours));
        Exception? written = Record.Exception(() => MessagePackSerializer.Serialize(head, Ours));

        Assert.Equal(reference is null, ours is null);
        Assert.Equal(length <= MessagePackCacheSerializer.DefaultMaxDepth, written is null);
        if (written is null)
        {
            Assert.Equal(data, MessagePackSerializer.Serialize(head, Ours));
        }
    }

    private static void AssertMemberFormatterUsed(IMessagePackFormatter<string?> formatter)
    {
        var ours = Ours.WithResolver(CompositeResolver.Create([formatter], [GoContractlessResolver.Instance]));
        var reference = Ours.WithResolver(CompositeResolver.Create([formatter], [GoCompatibleResolver.Instance, ContractlessStandardResolver.Instance]));
        var value = new Holder { Text = "a" };

        byte[] bytes = MessagePackSerializer.Serialize(value, ours);

        Assert.Equal(MessagePackSerializer.Serialize(value, reference), bytes);
        Assert.Equal("a!", MessagePackSerializer.Deserialize<Holder>(bytes, Reference).Text);
        Assert.Equal("a!?", MessagePackSerializer.Deserialize<Holder>(bytes, ours).Text);
    }

    private static byte[] Map(string key, int value)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(buffer);
        writer.WriteMapHeader(1);
        writer.Write(key);
        writer.Write(value);
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    public sealed class Keyed
    {
        public int Id { get; set; }

        public int Description { get; set; }
    }

    public sealed class RaceFresh
    {
        public string? Text { get; set; }

        public List<string>? Items { get; set; }
    }

    public sealed class WithBytes
    {
        public byte[]? Bytes { get; set; }

        public string? Text { get; set; }

        public char Letter { get; set; }
    }

    public sealed class Holder
    {
        public string? Text { get; set; }
    }

    public sealed class LongNames
    {
        public int ThisPropertyNameIsLongerThanThirtyTwoBytesForSure { get; set; }

        public int Short { get; set; }
    }

    public struct Point
    {
        public int X { get; set; }

        public int Y { get; set; }
    }

    public sealed class WithStruct
    {
        public Point Point { get; set; }

        public Point? Maybe { get; set; }
    }

    public sealed class ThrowingConstructor
    {
        public ThrowingConstructor() => throw new InvalidOperationException("constructor");

        public int Id { get; set; }
    }

    [MessagePackFormatter(typeof(AttributedFormatter))]
    private sealed class Attributed
    {
        public int Id { get; set; }
    }

    private sealed class AttributedFormatter : IMessagePackFormatter<Attributed?>
    {
        public void Serialize(ref MessagePackWriter writer, Attributed? value, MessagePackSerializerOptions options) => writer.Write(value!.Id);

        public Attributed? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options) => new() { Id = reader.ReadInt32() };
    }

    private enum Secret
    {
        A,
        B,
    }

    public sealed class Box<T>
    {
        public T? Value { get; set; }
    }

    private sealed class ExplicitCollection : ICollection<int>
    {
        private readonly List<int> _items = [];

        int ICollection<int>.Count => _items.Count;

        bool ICollection<int>.IsReadOnly => false;

        public void Add(int item) => _items.Add(item);

        void ICollection<int>.Clear() => _items.Clear();

        bool ICollection<int>.Contains(int item) => _items.Contains(item);

        void ICollection<int>.CopyTo(int[] array, int arrayIndex) => _items.CopyTo(array, arrayIndex);

        bool ICollection<int>.Remove(int item) => _items.Remove(item);

        public IEnumerator<int> GetEnumerator() => _items.GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }

    private static class Hidden
    {
        public sealed class Inner
        {
            public int Id { get; set; }
        }
    }

    /// <summary>Writes the string with "!" appended, reads it with "?" appended.</summary>
    public class VirtualFormatter : IMessagePackFormatter<string?>
    {
        public virtual void Serialize(ref MessagePackWriter writer, string? value, MessagePackSerializerOptions options) => writer.Write("wrong");

        public virtual string? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options) => "wrong";
    }

    public sealed class OverridingFormatter : VirtualFormatter
    {
        public override void Serialize(ref MessagePackWriter writer, string? value, MessagePackSerializerOptions options) => writer.Write(value + "!");

        public override string? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options) => reader.ReadString() + "?";
    }

    private sealed class ExplicitFormatter : IMessagePackFormatter<string?>
    {
        void IMessagePackFormatter<string?>.Serialize(ref MessagePackWriter writer, string? value, MessagePackSerializerOptions options) => writer.Write(value + "!");

        string? IMessagePackFormatter<string?>.Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options) => reader.ReadString() + "?";
    }

    private struct StructFormatter : IMessagePackFormatter<string?>
    {
        public readonly void Serialize(ref MessagePackWriter writer, string? value, MessagePackSerializerOptions options) => writer.Write(value + "!");

        public readonly string? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options) => reader.ReadString() + "?";
    }

    private class GenericFormatterBase<T> : IMessagePackFormatter<T>
    {
        public void Serialize(ref MessagePackWriter writer, T value, MessagePackSerializerOptions options) => writer.Write(value + "!");

        public T Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options) => (T)(object)(reader.ReadString() + "?");
    }

    private sealed class InheritingFormatter : GenericFormatterBase<string?>
    {
    }

    private interface IDefaultFormatter : IMessagePackFormatter<string?>
    {
        void IMessagePackFormatter<string?>.Serialize(ref MessagePackWriter writer, string? value, MessagePackSerializerOptions options) => writer.Write(value + "!");

        string? IMessagePackFormatter<string?>.Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options) => reader.ReadString() + "?";
    }

    private sealed class DefaultMethodFormatter : IDefaultFormatter
    {
    }
}
