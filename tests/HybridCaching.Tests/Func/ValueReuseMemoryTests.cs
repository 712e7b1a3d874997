using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using HybridCaching.Serialization;
using Xunit.Abstractions;

namespace HybridCaching.Tests.Func;

[CollectionDefinition(nameof(ValueReuseMemoryTests), DisableParallelization = true)]
public sealed class ValueReuseMemoryCollection;

/// <summary>The memory bound holds for reused (decoded, kept) values: the heap a filled memory level holds, measured.
/// Run alone, so no other test's allocations are counted.</summary>
[Collection(nameof(ValueReuseMemoryTests))]
public sealed class ValueReuseMemoryTests(ITestOutputHelper output)
{
    private const long Bound = 32L << 20;
    private const int Items = 200_000;
    private const int Keys = 60;

    public sealed class Empty;

    public struct Wrapped
    {
        public List<Empty> Items { get; set; }
    }

    // A class whose 30 properties are all null: with nulls left out, each object is written as {} (2 bytes).
    public sealed class Sparse
    {
        public string? P00 { get; set; } public string? P01 { get; set; } public string? P02 { get; set; } public string? P03 { get; set; }
        public string? P04 { get; set; } public string? P05 { get; set; } public string? P06 { get; set; } public string? P07 { get; set; }
        public string? P08 { get; set; } public string? P09 { get; set; } public string? P10 { get; set; } public string? P11 { get; set; }
        public string? P12 { get; set; } public string? P13 { get; set; } public string? P14 { get; set; } public string? P15 { get; set; }
        public string? P16 { get; set; } public string? P17 { get; set; } public string? P18 { get; set; } public string? P19 { get; set; }
        public string? P20 { get; set; } public string? P21 { get; set; } public string? P22 { get; set; } public string? P23 { get; set; }
        public string? P24 { get; set; } public string? P25 { get; set; } public string? P26 { get; set; } public string? P27 { get; set; }
        public string? P28 { get; set; } public string? P29 { get; set; }
    }

    private static List<Empty> ListOfEmpty() => Enumerable.Range(0, Items).Select(_ => new Empty()).ToList();

    [Fact]
    public Task DoAsync_ReusedListsOfEmptyObjects_HeapStaysWithinThreeTimesTheBound() => FillAndMeasureAsync(ListOfEmpty());

    [Fact]
    public Task DoAsync_ReusedStructsWrappingSuchLists_HeapStaysWithinThreeTimesTheBound() => FillAndMeasureAsync(new Wrapped { Items = ListOfEmpty() });

    // 20,000 objects: 60 KB encoded, 5 MB decoded, so a few values fit the bound (an estimate read from the encoding,
    // 32 bytes per element, let all 60 be kept: about 300 MB).
    [Fact]
    public Task DoAsync_ReusedJsonListsOfObjectsWithNullsLeftOut_HeapStaysWithinThreeTimesTheBound()
        => FillAndMeasureAsync(
            Enumerable.Range(0, Items / 10).Select(_ => new Sparse()).ToList(),
            new SystemTextJsonCacheSerializer(new JsonSerializerOptions { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, TypeInfoResolver = new DefaultJsonTypeInfoResolver() }));

    // Fills a 32 MB memory level with 60 values (200,000 elements each: 200 KB encoded, 6.4 MB decoded), each read
    // twice so its decoded value is kept when the bound allows, then measures what the level holds on the heap.
    private async Task FillAndMeasureAsync<T>(T value, ICacheSerializer? serializer = null)
    {
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var memory = new MemoryCache(maxItems: 10_000, maxBytes: Bound, maxTtl: TimeSpan.Zero);
        var func = new CacheFunc(memory, new CacheFuncOptions
        {
            WaitFor = TimeSpan.FromSeconds(30),
            FreshFor = TimeSpan.FromHours(1),
            Ttl = TimeSpan.FromHours(1),
            ReuseValues = true,
            Serializer = serializer,
        });
        var reused = 0;
        for (var i = 0; i < Keys; i++)
        {
            var key = "k" + i;
            await func.DoAsync(key, _ => Task.FromResult(value));
            var first = await func.DoAsync(key, _ => Task.FromResult(value)); // decodes, keeps the value if it fits
            if (ReferenceEquals(Box(first), Box(await func.DoAsync(key, _ => Task.FromResult(value)))))
            {
                reused++;
            }
        }

        var growth = GC.GetTotalMemory(forceFullCollection: true) - before;
        GC.KeepAlive(func);
        GC.KeepAlive(memory);

        var measured = $"The memory level holds {growth >> 20} MB of heap for a {Bound >> 20} MB bound ({reused} values reused, {memory.ChargedBytes >> 20} MB charged).";
        output.WriteLine(measured);
        Assert.True(reused > 0, "No value was reused: the test measures nothing.");
        Assert.True(growth <= 3 * Bound, measured);
    }

    // The list a value holds (a struct's list, or the list itself): the same instance when the value was reused.
    private static object? Box<T>(T value) => value is Wrapped wrapped ? wrapped.Items : value;
}
