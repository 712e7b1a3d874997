namespace HybridCaching.Tests.Func;

public class CachePayloadTests
{
    // SPEC §6 golden vectors, produced by the Go original.
    private const string ValueVector = "83aa426573744265666f7265d6ff6553f100a556616c7565c40162a15601";
    private const string FractionVector = "82aa426573744265666f7265d7ff773594006553f100a15601";
    private const string HttpVector = "85aa426573744265666f7265d6ff6553f100a556616c7565c4026869a648656164657281ac436f6e74656e742d5479706591aa746578742f706c61696eaa537461747573436f6465ccc8a15601";

    private static readonly DateTimeOffset BestBefore = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);

    private static bool TryRead(string hex, out DateTimeOffset bestBefore, out byte[] value, out int statusCode, out Dictionary<string, string[]>? header)
    {
        bool ok = CachePayload.TryRead(Convert.FromHexString(hex), out CachePayload payload);
        bestBefore = payload.BestBefore;
        value = payload.Value.ToArray();
        statusCode = payload.StatusCode;
        header = payload.ReadHeader();
        return ok;
    }

    private static bool IsValid(string hex) => CachePayload.TryRead(Convert.FromHexString(hex), out _);

    [Fact]
    public void Write_ValueVector_MatchesGoBytes()
    {
        Assert.Equal(ValueVector, Convert.ToHexStringLower(CachePayload.Write(BestBefore, "b"u8)));
    }

    [Fact]
    public void Write_FractionalBestBeforeWithoutValue_MatchesGoBytes()
    {
        Assert.Equal(FractionVector, Convert.ToHexStringLower(CachePayload.Write(BestBefore.AddMilliseconds(500), [])));
    }

    [Fact]
    public void Write_HttpVector_MatchesGoBytes()
    {
        var header = new Dictionary<string, IEnumerable<string>> { ["Content-Type"] = ["text/plain"] };

        Assert.Equal(HttpVector, Convert.ToHexStringLower(CachePayload.Write(BestBefore, "hi"u8, header, 200)));
    }

    [Fact]
    public void Write_EverythingEmpty_WritesOnlyVersion()
    {
        Assert.Equal("81a15601", Convert.ToHexStringLower(CachePayload.Write(default, [], new Dictionary<string, IEnumerable<string>>(), 0)));
    }

    [Fact]
    public void TryRead_ValueVector_ReturnsFields()
    {
        Assert.True(TryRead(ValueVector, out DateTimeOffset bestBefore, out byte[] value, out int statusCode, out Dictionary<string, string[]>? header));
        Assert.Equal(BestBefore, bestBefore);
        Assert.Equal("b"u8.ToArray(), value);
        Assert.Equal(0, statusCode);
        Assert.Null(header);
    }

    [Fact]
    public void TryRead_FractionVector_ReturnsSubSecondBestBefore()
    {
        Assert.True(TryRead(FractionVector, out DateTimeOffset bestBefore, out byte[] value, out _, out _));
        Assert.Equal(BestBefore.AddMilliseconds(500), bestBefore);
        Assert.Empty(value);
    }

    [Fact]
    public void TryRead_HttpVector_ReturnsStatusAndHeaders()
    {
        Assert.True(CachePayload.TryRead(Convert.FromHexString(HttpVector), out CachePayload payload));
        Assert.Equal(200, payload.StatusCode);
        Assert.Equal("hi"u8.ToArray(), payload.Value.ToArray());
        Dictionary<string, string[]> header = payload.ReadHeader()!;
        Assert.Equal(["text/plain"], header["content-type"]);
        Assert.Single(header);
    }

    [Fact]
    public void TryRead_GoZeroTimeAndWideIntsAndStrValue_Accepted()
    {
        // BestBefore = Go's zero time (96-bit form), Value as str, StatusCode as int64, V as uint16.
        string hex = "84" + "aa426573744265666f7265c70cff00000000fffffff1886e0900"
            + "a556616c7565a162"
            + "aa537461747573436f6465d300000000000000c8"
            + "a156cd0001";

        Assert.True(TryRead(hex, out DateTimeOffset bestBefore, out byte[] value, out int statusCode, out _));
        Assert.Equal(default, bestBefore);
        Assert.Equal("b"u8.ToArray(), value);
        Assert.Equal(200, statusCode);
    }

    [Fact]
    public void TryRead_UnknownKeysAndNilFields_SkipsThem()
    {
        string hex = "85" + "a3466f6f" + "82a161c0a16293c3c2c4026869"
            + "aa426573744265666f7265c0"
            + "a556616c7565c0"
            + "a6486561646572c0"
            + "a15601";

        Assert.True(CachePayload.TryRead(Convert.FromHexString(hex), out CachePayload payload));
        Assert.Equal(default, payload.BestBefore);
        Assert.True(payload.Value.IsEmpty);
        Assert.Null(payload.ReadHeader());
    }

    [Fact]
    public void TryRead_MultiValuedAndCaseDifferingHeaders_KeepsEveryValue()
    {
        var header = new Dictionary<string, IEnumerable<string>>
        {
            ["Vary"] = ["Accept", "Accept-Encoding"],
            ["vary"] = ["Cookie"],
        };
        byte[] data = CachePayload.Write(BestBefore, "x"u8, header, 203);

        Assert.True(CachePayload.TryRead(data, out CachePayload payload));
        Assert.Equal(["Accept", "Accept-Encoding", "Cookie"], payload.ReadHeader()!["VARY"]);
        Assert.Equal(203, payload.StatusCode);
    }

    [Theory]
    [InlineData("")]
    [InlineData("c0")]
    [InlineData("7b7d")]
    [InlineData("c1")]
    [InlineData("80")]
    [InlineData("81a15602")]
    [InlineData("81a15600")]
    [InlineData("81a156a131")]
    [InlineData("81a156cb3ff0000000000000")]
    [InlineData("81a15601c0")]
    [InlineData("81a1560101")]
    [InlineData("82a15601c1c0")]
    [InlineData("8201a15601")]
    [InlineData("82aa426573744265666f726501a15601")]
    [InlineData("82aa426573744265666f7265d6fe6553f100a15601")]
    [InlineData("82a556616c756501a15601")]
    [InlineData("82a6486561646572a161a15601")]
    [InlineData("82a648656164657281a16101a15601")]
    [InlineData("82a648656164657281a1619101a15601")]
    [InlineData("82a64865616465728101a15601")]
    [InlineData("82aa537461747573436f6465a3323030a15601")]
    [InlineData("82aa537461747573436f6465cf0000000100000000a15601")]
    [InlineData("81a17601")]
    [InlineData("81a2567601")]
    [InlineData("df0000000100")]
    public void TryRead_InvalidPayload_ReturnsFalse(string hex)
    {
        Assert.False(IsValid(hex));
    }

    [Fact]
    public void TryRead_EveryTruncationOfVector_ReturnsFalse()
    {
        byte[] data = Convert.FromHexString(HttpVector);
        for (int length = 0; length < data.Length; length++)
        {
            Assert.False(CachePayload.TryRead(data.AsMemory(0, length), out _), $"prefix of {length} bytes");
        }

        Assert.True(CachePayload.TryRead(data, out _));
    }

    [Fact]
    public void TryRead_RandomGarbage_NeverThrows()
    {
        var random = new Random(1234);
        byte[] buffer = new byte[64];
        for (int i = 0; i < 20_000; i++)
        {
            int length = random.Next(buffer.Length);
            random.NextBytes(buffer.AsSpan(0, length));
            if (i % 2 == 0 && length > 0)
            {
                buffer[0] = (byte)(0x80 | (buffer[0] & 0x0f));
            }

            _ = CachePayload.TryRead(buffer.AsMemory(0, length), out _);
        }

        Assert.True(CachePayload.TryRead(Convert.FromHexString(ValueVector), out _));
    }

    [Fact]
    public void TryRead_ValidPayload_DoesNotAllocate()
    {
        byte[] data = Convert.FromHexString(HttpVector);
        for (int i = 0; i < 100; i++)
        {
            CachePayload.TryRead(data, out _);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        int total = 0;
        for (int i = 0; i < 1_000; i++)
        {
            CachePayload.TryRead(data, out CachePayload payload);
            total += payload.Value.Length;
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(2_000, total);
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void WriteThenTryRead_LargeValue_RoundTrips()
    {
        byte[] value = new byte[200_000];
        new Random(7).NextBytes(value);
        DateTimeOffset bestBefore = new(2030, 1, 2, 3, 4, 5, 678, TimeSpan.FromHours(2));

        byte[] data = CachePayload.Write(bestBefore, value);

        Assert.True(CachePayload.TryRead(data, out CachePayload payload));
        Assert.Equal(bestBefore, payload.BestBefore);
        Assert.True(payload.Value.SequenceEqual(value));
    }
}
