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

    private static List<Empty> ListOfEmpty() => Enumerable.Range(0, Items).Select(_ => new Empty()).ToList();

    [Fact]
    public Task DoAsync_ReusedListsOfEmptyObjects_HeapStaysWithinThreeTimesTheBound() => FillAndMeasureAsync(ListOfEmpty());

    [Fact]
    public Task DoAsync_ReusedStructsWrappingSuchLists_HeapStaysWithinThreeTimesTheBound() => FillAndMeasureAsync(new Wrapped { Items = ListOfEmpty() });

    // Fills a 32 MB memory level with 60 values (200,000 elements each: 200 KB encoded, 6.4 MB decoded), each read
    // twice so its decoded value is kept when the bound allows, then measures what the level holds on the heap.
    private async Task FillAndMeasureAsync<T>(T value)
    {
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var memory = new MemoryCache(maxItems: 10_000, maxBytes: Bound, maxTtl: TimeSpan.Zero);
        var func = new CacheFunc(memory, new CacheFuncOptions
        {
            WaitFor = TimeSpan.FromSeconds(30),
            FreshFor = TimeSpan.FromHours(1),
            Ttl = TimeSpan.FromHours(1),
            ReuseValues = true,
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
