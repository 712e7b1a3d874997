using HybridCaching.Http;
using HybridCaching.Serialization;
using MessagePack;

namespace HybridCaching.Tests.Func;

public sealed class DecodedSizeTests
{
    public sealed class Empty;

    private static byte[] Stored<T>(ICacheSerializer serializer, T value) => CachePayload.Write(DateTimeOffset.UnixEpoch, serializer.Serialize(value));

    private static List<Empty> Empties(int count) => Enumerable.Range(0, count).Select(_ => new Empty()).ToList();

    [Fact]
    public void Estimate_ListOfEmptyObjects_ChargesEveryElement()
    {
        var messagePack = Stored(MessagePackCacheSerializer.Default, Empties(1000));
        var json = Stored(SystemTextJsonCacheSerializer.Default, Empties(1000));

        // 1,000 objects (24 bytes each) and their references (8 bytes each): 32,000 bytes of heap at least.
        Assert.InRange(DecodedSize.Estimate(MessagePackCacheSerializer.Default, messagePack)!.Value, 32_000, 40_000);
        Assert.InRange(DecodedSize.Estimate(SystemTextJsonCacheSerializer.Default, json)!.Value, 32_000, 40_000);
    }

    [Fact]
    public void Estimate_HttpResponse_ChargesTheEnvelope()
    {
        var stored = CachedHttpResponseFormat.Instance.Write(
            new CachedHttpResponse(200, [new("X-A", ["1", "2"])], new byte[100]), DateTimeOffset.UnixEpoch);

        Assert.InRange(DecodedSize.Estimate(CachedHttpResponseFormat.Instance, stored)!.Value, 2 * stored.Length, 2 * stored.Length + (20 * DecodedSize.PerElement));
    }

    [Fact]
    public void Estimate_UnknownOrCompressingSerializer_HasNoBound()
    {
        var compressing = new MessagePackCacheSerializer(MessagePackCacheSerializer.DefaultOptions.WithCompression(MessagePackCompression.Lz4BlockArray));

        Assert.Null(DecodedSize.Estimate(compressing, Stored(compressing, Empties(1000))));
        Assert.Null(DecodedSize.Estimate(new object(), Stored(MessagePackCacheSerializer.Default, Empties(10))));
        Assert.Null(DecodedSize.Estimate(MessagePackCacheSerializer.Default, [0xc1])); // not an envelope
    }
}
