using HybridCaching.Serialization;

namespace HybridCaching.Tests.Serialization;

public class MessagePackAllocationTests
{
    private static readonly MessagePackCacheSerializer Serializer = MessagePackCacheSerializer.Default;

    private static long Measure(Action action)
    {
        for (int i = 0; i < 50; i++)
        {
            action();
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
        {
            action();
        }

        return (GC.GetAllocatedBytesForCurrentThread() - before) / 100;
    }

    [Fact]
    public void Deserialize_StructsAndNumbers_DoNotBox()
    {
        byte[] point = Serializer.Serialize(new Point(300, -5));
        byte[] number = Serializer.Serialize(123_456L);
        byte[] nullable = Serializer.Serialize<Color?>(Color.Blue);

        Assert.Equal(0, Measure(() => Serializer.Deserialize<Point>(point)));
        Assert.Equal(0, Measure(() => Serializer.Deserialize<long>(number)));
        Assert.Equal(0, Measure(() => Serializer.Deserialize<Color?>(nullable)));
    }

    [Fact]
    public void Deserialize_ConstructorBoundStruct_AllocatesOnlyItsString()
    {
        byte[] data = Serializer.Serialize(new ImmutablePair("k", 5));
        long stringSize = Measure(() => _ = new string('k', 1));

        Assert.Equal(stringSize, Measure(() => Serializer.Deserialize<ImmutablePair>(data)));
    }

    [Fact]
    public void Serialize_ToArray_AllocatesOnlyTheResult()
    {
        var item = new Item { ID = 7, Name = "n", Tags = ["a", "b"], Price = 1.5 };
        int length = Serializer.Serialize(item).Length;
        long arraySize = Measure(() => _ = new byte[length]);

        Assert.Equal(arraySize, Measure(() => Serializer.Serialize(item)));
    }
}
