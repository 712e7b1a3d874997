using HybridCaching.Http;

namespace HybridCaching.Tests.Http;

public sealed class HttpValidatorsTests
{
    private static CachedHttpResponse Stored(int status = 200, string? etag = "\"abc\"", string? lastModified = null)
    {
        var headers = new List<KeyValuePair<string, string[]>>();
        if (etag is not null)
        {
            headers.Add(new("ETag", [etag]));
        }

        if (lastModified is not null)
        {
            headers.Add(new("Last-Modified", [lastModified]));
        }

        return new CachedHttpResponse(status, headers, "body"u8.ToArray());
    }

    [Theory]
    [InlineData("\"abc\"", true)]
    [InlineData("W/\"abc\"", true)]
    [InlineData("\"x\", \"abc\"", true)]
    [InlineData("\"a,\\\"\", \"abc\"", false)] // a backslash is an etagc: the first tag is "a,\", then garbage
    [InlineData("\"a,b\",W/\"abc\"", true)]
    [InlineData("*", true)]
    [InlineData("\"abcd\"", false)]
    [InlineData("abc", false)]
    [InlineData("\"abc", false)]
    [InlineData("", false)]
    public void IsNotModified_IfNoneMatch_UsesWeakComparison(string ifNoneMatch, bool expected)
        => Assert.Equal(expected, HttpValidators.IsNotModified([ifNoneMatch], [], Stored()));

    [Fact]
    public void IsNotModified_StoredWeakETag_MatchesStrongAndWeakForms()
    {
        var stored = Stored(etag: "W/\"abc\"");

        Assert.True(HttpValidators.IsNotModified(["\"abc\""], [], stored));
        Assert.True(HttpValidators.IsNotModified(["W/\"abc\""], [], stored));
    }

    [Fact]
    public void IsNotModified_NonSuccessStatus_NeverMatches()
        => Assert.False(HttpValidators.IsNotModified(["*"], [], Stored(status: 301)));

    [Theory]
    [InlineData("Thu, 01 Jun 2023 12:00:00 GMT", true)]
    [InlineData("Thursday, 01-Jun-23 12:00:00 GMT", true)] // RFC 850
    [InlineData("Thu Jun  1 12:00:00 2023", true)] // asctime
    [InlineData("Thu, 01 Jun 2023 11:59:59 GMT", false)]
    [InlineData("yesterday", false)]
    public void IsNotModified_IfModifiedSince_ComparesWithLastModified(string since, bool expected)
        => Assert.Equal(expected, HttpValidators.IsNotModified([], [since], Stored(etag: null, lastModified: "Thu, 01 Jun 2023 12:00:00 GMT")));

    [Fact]
    public void IsNotModified_IfModifiedSinceWithTwoValues_IsIgnored()
        => Assert.False(HttpValidators.IsNotModified([], ["Thu, 01 Jun 2023 12:00:00 GMT", "Thu, 01 Jun 2023 12:00:00 GMT"], Stored(etag: null, lastModified: "Thu, 01 Jun 2023 12:00:00 GMT")));

    [Fact]
    public void ComputeETag_DependsOnStatusAndBody_AndIsAStrongQuotedTag()
    {
        string etag = HttpValidators.ComputeETag(200, "body"u8);

        Assert.Equal(etag, HttpValidators.ComputeETag(200, "body"u8));
        Assert.NotEqual(etag, HttpValidators.ComputeETag(200, "bodz"u8));
        Assert.NotEqual(etag, HttpValidators.ComputeETag(203, "body"u8));
        Assert.True(HttpValidators.TryParseEntityTag(etag, out string? opaque, out bool weak));
        Assert.False(weak);
        Assert.Equal(22, opaque.Length);
    }

    [Fact]
    public void Refresh_304Headers_ReplaceStoredOnesButKeepBodyAndContentHeaders()
    {
        var stored = new CachedHttpResponse(200, [new("Content-Type", ["text/plain"]), new("Cache-Control", ["max-age=1"]), new("X-Kept", ["k"])], "body"u8.ToArray());
        var now = new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);

        var refreshed = HttpValidators.Refresh(stored, [new("Cache-Control", ["max-age=9"]), new("Content-Type", ["text/html"]), new("Content-Length", ["0"])], now);

        Assert.Equal("body"u8.ToArray(), refreshed.Body.ToArray());
        Assert.Equal(["max-age=9"], refreshed.Headers["Cache-Control"]);
        Assert.Equal(["text/plain"], refreshed.Headers["Content-Type"]);
        Assert.Equal(["k"], refreshed.Headers["X-Kept"]);
        Assert.False(refreshed.Headers.ContainsKey("Content-Length"));
        Assert.Equal([HttpValidators.FormatHttpDate(now)], refreshed.Headers["Date"]);
    }
}
