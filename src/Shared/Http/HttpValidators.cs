using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Security.Cryptography;

namespace HybridCaching.Http;

// Validators of cached responses (RFC 9110 §8.8, §13), for the middleware (answering 304 from the cache) and the client
// handler (revalidating stale entries).
internal static class HttpValidators
{
    // The headers a 304 answered from the cache carries (RFC 9110 §15.4.5), besides X-Cache and Age.
    private static readonly HashSet<string> NotModifiedHeaders = new(
        ["Cache-Control", "Content-Location", "Date", "ETag", "Expires", "Last-Modified", "Vary"], StringComparer.OrdinalIgnoreCase);

    // A 304's own fields that must not replace the stored response's (RFC 9111 §3.2: they describe the 304, not the stored body).
    private static readonly HashSet<string> NotUpdatedFrom304 = new(
        ["Content-Length", "Content-Encoding", "Content-Range", "Content-Type"], StringComparer.OrdinalIgnoreCase);

    // IMF-fixdate (Sun, 06 Nov 1994 08:49:37 GMT), then the obsolete RFC 850 and asctime forms.
    private static readonly string[] HttpDateFormats = ["r", "dddd, dd-MMM-yy HH:mm:ss 'GMT'", "ddd MMM d HH:mm:ss yyyy", "ddd MMM  d HH:mm:ss yyyy"];

    public static bool IsNotModifiedHeader(string name) => NotModifiedHeaders.Contains(name);

    // The strong entity tag of a response the origin did not tag: a quoted, truncated SHA-256 (128 bits, unpadded base64)
    // of its status code and body, the same on every server and after every refresh.
    public static string ComputeETag(int statusCode, ReadOnlySpan<byte> body)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> status = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(status, statusCode);
        hash.AppendData(status);
        hash.AppendData(body);
        Span<byte> digest = stackalloc byte[32];
        hash.GetHashAndReset(digest);
        return "\"" + Convert.ToBase64String(digest[..16]).TrimEnd('=') + "\"";
    }

    // Only 2xx gets a computed ETag and answers conditional requests (RFC 9110 §13.2.1).
    public static bool IsValidatable(int statusCode) => statusCode is >= 200 and < 300;

    // Whether a GET or HEAD request's preconditions make the answer 304 (RFC 9110 §13.2.2): If-None-Match when present
    // (weak comparison), otherwise If-Modified-Since (exactly one valid date, §13.1.3) against a Last-Modified.
    public static bool IsNotModified(IReadOnlyList<string?> ifNoneMatch, IReadOnlyList<string?> ifModifiedSince, CachedHttpResponse stored)
    {
        return IsValidatable(stored.StatusCode) && (ifNoneMatch.Count > 0
            ? TryParseEntityTag(Single(stored, "ETag"), out string? opaque, out _) && MatchesAny(ifNoneMatch, opaque)
            : ifModifiedSince.Count == 1 && TryParseHttpDate(ifModifiedSince[0], out var since)
                && TryParseHttpDate(Single(stored, "Last-Modified"), out var modified) && modified <= since);
    }

    // The stored response refreshed by a 304 (RFC 9111 §4.3.4): body and status kept, the 304's headers replacing the
    // stored ones (except those describing the 304's own content), Date now unless the 304 has one.
    public static CachedHttpResponse Refresh(CachedHttpResponse stored, IEnumerable<KeyValuePair<string, string[]>> notModifiedHeaders, DateTimeOffset now)
    {
        var headers = new Dictionary<string, string[]>(stored.Headers, StringComparer.OrdinalIgnoreCase)
        {
            ["Date"] = [FormatHttpDate(now)],
        };
        foreach (var (name, values) in notModifiedHeaders.Where(static h => !NotUpdatedFrom304.Contains(h.Key)))
        {
            headers[name] = values;
        }

        return new CachedHttpResponse(stored.StatusCode, headers, stored.Body);
    }

    // Makes a refresh request conditional (RFC 9111 §4.3) on the stale entry's ETag, else its Last-Modified; whether it did.
    public static bool AddValidators(HttpRequestMessage request, CachedHttpResponse? stale)
    {
        if (stale is null || !IsValidatable(stale.StatusCode))
        {
            return false;
        }

        return Single(stale, "ETag") is { } etag && TryParseEntityTag(etag, out _, out _)
            ? request.Headers.TryAddWithoutValidation("If-None-Match", etag)
            : Single(stale, "Last-Modified") is { } lastModified && TryParseHttpDate(lastModified, out _)
                && request.Headers.TryAddWithoutValidation("If-Modified-Since", lastModified);
    }

    // Parses one entity tag ("x" or W/"x") the whole of value holds.
    public static bool TryParseEntityTag(string? value, [NotNullWhen(true)] out string? opaque, out bool weak)
    {
        var span = value.AsSpan().Trim();
        int position = 0;
        bool parsed = TryReadEntityTag(span, ref position, out var tag, out weak) && position == span.Length;
        opaque = parsed ? tag.ToString() : null;
        return parsed;
    }

    // Parses an HTTP date in any of the three forms RFC 9110 §5.6.7 requires recipients to accept.
    public static bool TryParseHttpDate(string? value, out DateTimeOffset date) => DateTimeOffset.TryParseExact(
        value?.Trim(), HttpDateFormats, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out date);

    // An HTTP date (RFC 9110 IMF-fixdate), e.g. for a Date header.
    public static string FormatHttpDate(DateTimeOffset time) => time.ToUniversalTime().ToString("r", CultureInfo.InvariantCulture);

    // A stored response's header when it has exactly one value.
    private static string? Single(CachedHttpResponse stored, string name)
        => stored.Headers.TryGetValue(name, out string[]? values) && values.Length == 1 ? values[0] : null;

    // Weak comparison (RFC 9110 §8.8.3.2) of a stored tag's opaque part against an If-None-Match list.
    private static bool MatchesAny(IReadOnlyList<string?> ifNoneMatch, string opaque)
    {
        foreach (string? value in ifNoneMatch)
        {
            var span = value.AsSpan();
            int position = 0;
            int member;
            while ((member = span[position..].IndexOfAnyExcept(" \t,")) >= 0)
            {
                position += member;
                if (span[position] == '*')
                {
                    return true;
                }

                if (!TryReadEntityTag(span, ref position, out var tag, out _))
                {
                    // A malformed member: nothing after it can be trusted.
                    break;
                }

                if (tag.SequenceEqual(opaque))
                {
                    return true;
                }
            }
        }

        return false;
    }

    // entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE; etagc may be a comma, so quotes decide where a tag ends.
    private static bool TryReadEntityTag(ReadOnlySpan<char> span, ref int position, out ReadOnlySpan<char> opaque, out bool weak)
    {
        opaque = default;
        weak = span[position..].StartsWith("W/", StringComparison.Ordinal);
        int start = position + (weak ? 2 : 0);
        int end = start < span.Length && span[start] == '"' ? span[(start + 1)..].IndexOf('"') : -1;
        if (end < 0)
        {
            return false;
        }

        opaque = span.Slice(start + 1, end);
        position = start + end + 2;
        return true;
    }
}
