using System.Text;
using HybridCaching.Http;

namespace HybridCaching.Tests.Http;

public sealed class CachedHttpResponseTests
{
    // SPEC §6: {BestBefore: 1700000000 s, Value: "hi", Header: {Content-Type: [text/plain]}, StatusCode: 200, V: 1}, from the Go original.
    internal const string GoResponseHex = "85aa426573744265666f7265d6ff6553f100a556616c7565c4026869a648656164657281ac436f6e74656e742d5479706591aa746578742f706c61696eaa537461747573436f6465ccc8a15601";

    private static readonly DateTimeOffset GoBestBefore = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);

    [Fact]
    public void Write_GoVector_IsByteIdentical()
    {
        var response = new CachedHttpResponse(200, [new("Content-Type", ["text/plain"])], "hi"u8.ToArray());

        byte[] written = CachedHttpResponseFormat.Instance.Write(response, GoBestBefore);

        Assert.Equal(GoResponseHex, Convert.ToHexString(written).ToLowerInvariant());
    }

    [Fact]
    public void TryRead_GoVector_ReadsStatusHeadersBodyAndBestBefore()
    {
        Assert.True(CachePayload.TryRead(Convert.FromHexString(GoResponseHex), out var payload));

        Assert.True(CachedHttpResponseFormat.Instance.TryRead(payload, out var response));

        Assert.Equal(200, response.StatusCode);
        Assert.Equal(["text/plain"], response.Headers["content-type"]);
        Assert.Equal("hi", Encoding.UTF8.GetString(response.Body.Span));
        Assert.Equal(GoBestBefore, response.BestBefore);
    }

    [Fact]
    public void TryRead_PayloadWithoutStatusCode_IsRefused()
    {
        byte[] plainValue = CachePayload.Write(GoBestBefore, "b"u8);
        Assert.True(CachePayload.TryRead(plainValue, out var payload));

        Assert.False(CachedHttpResponseFormat.Instance.TryRead(payload, out _));
    }

    [Fact]
    public void Write_MultiValuedHeaders_KeepsEveryValueSeparately()
    {
        var response = new CachedHttpResponse(200, [new("X-Multi", ["a, b", "c"]), new("x-multi", ["d"])], ReadOnlyMemory<byte>.Empty);

        byte[] written = CachedHttpResponseFormat.Instance.Write(response, GoBestBefore);

        Assert.True(CachePayload.TryRead(written, out var payload));
        Assert.Equal(["a, b", "c", "d"], payload.ReadHeader()!["X-Multi"]);
    }

    [Fact]
    public void Constructor_HopByHopHeaders_AreDropped()
    {
        var response = new CachedHttpResponse(
            200,
            [
                new("Connection", ["keep-alive, X-Private-Hop"]),
                new("Keep-Alive", ["timeout=5"]),
                new("Transfer-Encoding", ["chunked"]),
                new("X-Private-Hop", ["1"]),
                new("Age", ["100"]),
                new(HttpCacheStatus.HeaderName, [HttpCacheStatus.Hit]),
                new("Content-Type", ["text/plain"]),
            ],
            ReadOnlyMemory<byte>.Empty);

        Assert.Equal(["Content-Type"], response.Headers.Keys);
    }

    [Fact]
    public void Bypass_AfterRoundTrip_IsStillRecognized()
    {
        byte[] written = CachedHttpResponseFormat.Instance.Write(CachedHttpResponse.Bypass, GoBestBefore);

        Assert.True(CachePayload.TryRead(written, out var payload));
        Assert.True(CachedHttpResponseFormat.Instance.TryRead(payload, out var read));
        Assert.True(read.IsBypass);
        Assert.False(new CachedHttpResponse(503, null, ReadOnlyMemory<byte>.Empty).IsBypass);
    }

    [Fact]
    public void GetAge_FromDateHeader_WholeSecondsNeverNegative()
    {
        var date = new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var response = new CachedHttpResponse(200, [new("Date", [HttpValidators.FormatHttpDate(date)])], ReadOnlyMemory<byte>.Empty);

        Assert.Equal(TimeSpan.FromSeconds(90), response.GetAge(date.AddSeconds(90.7)));
        Assert.Equal(TimeSpan.Zero, response.GetAge(date.AddSeconds(-5)));
        Assert.Null(new CachedHttpResponse(200, null, ReadOnlyMemory<byte>.Empty).GetAge(date));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(99)]
    [InlineData(1000)]
    public void Constructor_InvalidStatusCode_Throws(int statusCode)
        => Assert.Throws<ArgumentOutOfRangeException>(() => new CachedHttpResponse(statusCode, null, ReadOnlyMemory<byte>.Empty));
}
