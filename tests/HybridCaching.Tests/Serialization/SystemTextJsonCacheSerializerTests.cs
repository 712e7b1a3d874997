using System.Text.Json.Serialization;
using HybridCaching.Serialization;

namespace HybridCaching.Tests.Serialization;

/// <summary>The AOT-safe route: a source-generated context, no reflection.</summary>
public class SystemTextJsonCacheSerializerTests
{
    [Fact]
    public void SourceGeneratedContext_RoundTripsDeclaredTypes()
    {
        var serializer = new SystemTextJsonCacheSerializer(CacheJsonContext.Default);
        var line = new OrderLine("SKU-1", 2, 9.99);

        byte[] data = ((ICacheSerializer)serializer).Serialize(line);

        Assert.Equal("""{"Sku":"SKU-1","Quantity":2,"Price":9.99}""", System.Text.Encoding.UTF8.GetString(data));
        Assert.Equal(line, serializer.Deserialize<OrderLine>(data));
        Assert.Equal(["a", "b"], serializer.Deserialize<List<string>>("""["a","b"]"""u8.ToArray()));
    }

    [Fact]
    public void SourceGeneratedContext_UndeclaredType_NotSupported()
    {
        // Proves the context is all it uses: reflection would have handled Item.
        var serializer = new SystemTextJsonCacheSerializer(CacheJsonContext.Default);

        Assert.Throws<NotSupportedException>(() => ((ICacheSerializer)serializer).Serialize(new Item()));
    }

    [Fact]
    public async Task SourceGeneratedContext_ThroughCacheFunc_CachesValue()
    {
        await using var memory = new HybridCaching.MemoryCache(1000, 1 << 20, TimeSpan.FromMinutes(1));
        var func = new CacheFunc(memory, TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1), new SystemTextJsonCacheSerializer(CacheJsonContext.Default));
        int calls = 0;

        OrderLine first = await func.DoAsync("k", _ => Task.FromResult(new OrderLine("A", ++calls, 1)));
        OrderLine second = await func.DoAsync("k", _ => Task.FromResult(new OrderLine("B", ++calls, 2)));

        Assert.Equal(first, second);
        Assert.Equal(1, calls);
    }

    [Fact]
    public void Constructor_Null_Throws()
    {
        Assert.Throws<ArgumentNullException>(() => new SystemTextJsonCacheSerializer((JsonSerializerContext)null!));
    }
}

[JsonSerializable(typeof(OrderLine))]
[JsonSerializable(typeof(List<string>))]
internal sealed partial class CacheJsonContext : JsonSerializerContext;
