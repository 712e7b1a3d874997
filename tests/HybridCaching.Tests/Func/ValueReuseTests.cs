using System.ComponentModel;
using HybridCaching.Serialization;
using HybridCaching.Testing;
using Microsoft.Extensions.Time.Testing;

namespace HybridCaching.Tests.Func;

public sealed class ValueReuseTests : IAsyncDisposable
{
    private static readonly TimeSpan FreshFor = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan Ttl = TimeSpan.FromHours(1);

    private readonly FakeTimeProvider _time = new();
    private readonly MemoryCache _memory;

    public ValueReuseTests() => _memory = new MemoryCache(10_000, 1 << 24, TimeSpan.Zero, _time);

    public ValueTask DisposeAsync() => _memory.DisposeAsync();

    public sealed class Product
    {
        public int Id { get; set; }

        public string Name { get; set; } = "";
    }

    [ImmutableObject(true)]
    public sealed class FrozenProduct
    {
        public int Id { get; set; }

        public string Name { get; set; } = "";
    }

    private CacheFunc NewFunc(ICacheAdapter cache, bool reuseValues = false, ICacheSerializer? serializer = null) => new(cache, new CacheFuncOptions
    {
        WaitFor = TimeSpan.FromSeconds(10),
        FreshFor = FreshFor,
        Ttl = Ttl,
        TimeProvider = _time,
        ReuseValues = reuseValues,
        Serializer = serializer,
    });

    private static Func<CancellationToken, Task<T>> Returns<T>(T value) => _ => Task.FromResult(value);

    private static Func<CancellationToken, Task<T>> NotCalled<T>() => _ => throw new InvalidOperationException("the factory must not run");

    [Fact]
    public async Task DoAsync_MutableTypeByDefault_GivesEachCallerItsOwnCopy()
    {
        var func = NewFunc(_memory);
        await func.DoAsync("p", Returns(new Product { Id = 1, Name = "a" }));

        var first = await func.DoAsync("p", NotCalled<Product>());
        first.Name = "changed by a caller";
        var second = await func.DoAsync("p", NotCalled<Product>());

        Assert.NotSame(first, second);
        Assert.Equal("a", second.Name);
    }

    [Fact]
    public async Task DoAsync_ReuseValuesOption_ReturnsOneInstanceAllocatingNothing()
    {
        var func = NewFunc(_memory, reuseValues: true);
        await func.DoAsync("p", Returns(new Product { Id = 1, Name = "a" }));

        var first = await func.DoAsync("p", NotCalled<Product>());
        Assert.Same(first, await func.DoAsync("p", NotCalled<Product>()));
        Assert.Equal(0, await HitAllocation.PerHitAsync(() => func.DoAsync("p", NotCalled<Product>())));
    }

    [Fact]
    public async Task DoAsync_ImmutableObjectAttribute_ReusesWithoutTheOption()
    {
        var func = NewFunc(_memory);
        await func.DoAsync("p", Returns(new FrozenProduct { Id = 1, Name = "a" }));

        Assert.Same(await func.DoAsync("p", NotCalled<FrozenProduct>()), await func.DoAsync("p", NotCalled<FrozenProduct>()));
    }

    [Fact]
    public async Task DoAsync_ImmutableValueTypes_HitAllocatesNothing()
    {
        var func = NewFunc(_memory);
        await func.DoAsync("n", Returns(42L));
        await func.DoAsync("g", Returns(Guid.NewGuid()));
        await func.DoAsync("d", Returns(new DateTime(2024, 5, 6, 7, 8, 9, DateTimeKind.Utc)));

        Assert.Equal(0, await HitAllocation.PerHitAsync(() => func.DoAsync("n", NotCalled<long>())));
        Assert.Equal(0, await HitAllocation.PerHitAsync(() => func.DoAsync("g", NotCalled<Guid>())));
        Assert.Equal(0, await HitAllocation.PerHitAsync(() => func.DoAsync("d", NotCalled<DateTime>())));
        Assert.Equal(42L, await func.DoAsync("n", NotCalled<long>()));
    }

    [Fact]
    public async Task DoAsync_AfterSetDeleteClear_NextHitSeesTheNewBytes()
    {
        var func = NewFunc(_memory, reuseValues: true);
        var writer = NewFunc(_memory);
        await func.DoAsync("k", Returns("v1"));
        Assert.Equal("v1", await func.DoAsync("k", NotCalled<string>())); // decoded value kept

        await _memory.SetAsync("k", (await CopyPayloadAsync(writer, "other", "v2"))!, Ttl);
        Assert.Equal("v2", await func.DoAsync("k", NotCalled<string>()));

        await _memory.DeleteAsync(["k"]);
        Assert.Equal("v3", await func.DoAsync("k", Returns("v3")));

        await _memory.ClearAsync();
        Assert.Equal("v4", await func.DoAsync("k", Returns("v4")));
    }

    // The stored payload of a value written through another key (same serializer, same envelope).
    private async Task<byte[]?> CopyPayloadAsync(CacheFunc writer, string key, string value)
    {
        await writer.DoAsync(key, Returns(value));
        return await _memory.GetAsync(key);
    }

    [Fact]
    public async Task DoAsync_AfterExpiry_RunsTheFactory()
    {
        var func = NewFunc(_memory);
        await func.DoAsync("k", Returns("v1"));
        Assert.Equal("v1", await func.DoAsync("k", NotCalled<string>()));

        _time.Advance(Ttl + TimeSpan.FromSeconds(1));
        Assert.Equal("v2", await func.DoAsync("k", Returns("v2")));
    }

    [Fact]
    public async Task DoAsync_StaleReusedValue_IsReturnedAndReplacedByTheRefresh()
    {
        var func = NewFunc(_memory);
        await func.DoAsync("k", Returns("old"));
        Assert.Equal("old", await func.DoAsync("k", NotCalled<string>()));

        _time.Advance(FreshFor + TimeSpan.FromSeconds(1));
        Assert.Equal("old", await func.DoAsync("k", Returns("new")));

        await EventuallyAsync(async () => await func.DoAsync("k", Returns("unexpected")) == "new");
    }

    [Fact]
    public async Task DoAsync_OtherSerializerOverTheSameMemory_NeverGetsTheOthersDecodedValue()
    {
        var messagePack = NewFunc(_memory);
        var json = NewFunc(_memory, serializer: SystemTextJsonCacheSerializer.Default);
        await messagePack.DoAsync("k", Returns("written as MessagePack"));
        Assert.Equal("written as MessagePack", await messagePack.DoAsync("k", NotCalled<string>()));

        // The JSON serializer cannot read MessagePack bytes: a miss, whatever the memory level keeps decoded.
        Assert.Equal("asdf", await json.DoAsync("k", Returns("asdf")));
    }

    [Fact]
    public async Task DoAsync_OverHybrid_ReusesFromTheMemoryLevel()
    {
        await using var hybrid = new HybridCache(new MemoryCache(1000, 1 << 20, TimeSpan.Zero, _time), new MemoryCache(1000, 1 << 20, TimeSpan.Zero, _time), timeProvider: _time);
        var func = NewFunc(hybrid, reuseValues: true);
        await func.DoAsync("p", Returns(new Product { Id = 7 }));

        var first = await func.DoAsync("p", NotCalled<Product>());
        Assert.Same(first, await func.DoAsync("p", NotCalled<Product>()));
        Assert.Equal(0, await HitAllocation.PerHitAsync(() => func.DoAsync("p", NotCalled<Product>())));
    }

    [Fact]
    public async Task DoAsync_ReusedValues_AreChargedAgainstTheByteBound()
    {
        await using var memory = new MemoryCache(maxItems: 1000, maxBytes: 1 << 20, TimeSpan.Zero, _time);
        var func = NewFunc(memory);
        var text = new string('x', 1000);
        await func.DoAsync("k", Returns(text));
        var bytesOnly = memory.ChargedBytes;

        await func.DoAsync("k", NotCalled<string>()); // keeps the decoded 1,000-character string

        Assert.True(memory.ChargedBytes >= bytesOnly + 2000, $"charged {memory.ChargedBytes} after reuse, {bytesOnly} before");
    }

    [Fact]
    public async Task DoAsync_CustomSerializer_ReusesItsValuesChargedWhatTheirDecodeAllocated()
    {
        var func = NewFunc(_memory, reuseValues: true, serializer: new ForwardingSerializer(MessagePackCacheSerializer.Default));
        await func.DoAsync("p", Returns(new Product { Id = 1, Name = "a" }));
        var bytesOnly = _memory.ChargedBytes;

        // Whatever the serializer's format, the decode's allocations bound what the value holds.
        Assert.Same(await func.DoAsync("p", NotCalled<Product>()), await func.DoAsync("p", NotCalled<Product>()));
        Assert.True(_memory.ChargedBytes > bytesOnly, $"charged {_memory.ChargedBytes}, {bytesOnly} before the value was kept");
    }

    private sealed class ForwardingSerializer(ICacheSerializer inner) : ICacheSerializer
    {
        public void Serialize<T>(T value, System.Buffers.IBufferWriter<byte> destination) => inner.Serialize(value, destination);

        public T Deserialize<T>(System.Buffers.ReadOnlySequence<byte> data) => inner.Deserialize<T>(data);
    }

    [Fact]
    public async Task DoAsync_DecodedValueWouldExceedTheBound_KeepsTheBytesAndDecodesEachHit()
    {
        // 3,000 bytes of budget: a 1,000-character string's payload fits, the payload plus the decoded copy does not.
        await using var memory = new MemoryCache(maxItems: 1, maxBytes: 3000, TimeSpan.Zero, _time);
        var func = NewFunc(memory);
        await func.DoAsync("k", Returns(new string('x', 1000)));

        var first = await func.DoAsync("k", NotCalled<string>());
        var second = await func.DoAsync("k", NotCalled<string>());

        Assert.Equal(1000, second.Length);
        Assert.NotSame(first, second);
        Assert.True(memory.ChargedBytes <= 3000, $"charged {memory.ChargedBytes} of 3000");
    }
}
