using HybridCaching.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace HybridCaching.AspNetCore;

/// <summary>
/// Conditional requests against the cache: a stored response gets a strong <c>ETag</c> from its bytes unless the
/// app set one, and a GET or HEAD answered from the cache whose <c>If-None-Match</c> (or, without it,
/// <c>If-Modified-Since</c>) holds is answered <c>304 Not Modified</c> without running the app.
/// </summary>
/// <remarks>
/// The request that runs the pipeline (a miss) has its validators removed first: the pipeline produces the full
/// response, which is what the waiting requests and the cache need (an app's own 304 could not be shared), and that
/// request's client receives it in full.
/// </remarks>
internal static class ConditionalRequests
{
    /// <summary>Adds the computed <c>ETag</c> to a response about to be stored, unless it has one or is not 2xx.</summary>
    public static void AddETag(List<KeyValuePair<string, string[]>> headers, int statusCode, ReadOnlyMemory<byte> body)
    {
        if (!HttpValidators.IsValidatable(statusCode))
        {
            return;
        }

        foreach (var (name, _) in headers)
        {
            if (string.Equals(name, HeaderNames.ETag, StringComparison.OrdinalIgnoreCase))
            {
                return;
            }
        }

        headers.Add(new(HeaderNames.ETag, [HttpValidators.ComputeETag(statusCode, body.Span)]));
    }

    /// <summary>Whether a request answered with <paramref name="cached"/> gets 304 Not Modified instead.</summary>
    public static bool IsNotModified(HttpRequest request, CachedHttpResponse cached)
    {
        var headers = request.Headers;
        var ifNoneMatch = headers.IfNoneMatch;
        var ifModifiedSince = headers.IfModifiedSince;
        return (ifNoneMatch.Count > 0 || ifModifiedSince.Count > 0)
            && (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method))
            && HttpValidators.IsNotModified(ifNoneMatch, ifModifiedSince, cached);
    }

    /// <summary>Removes a request's validators, so the pipeline it runs produces the full, shareable response.</summary>
    public static void RemoveValidators(IHeaderDictionary headers)
    {
        headers.Remove(HeaderNames.IfNoneMatch);
        headers.Remove(HeaderNames.IfModifiedSince);
    }

    /// <summary>Whether a request header is a validator (never recorded for a background refresh).</summary>
    public static bool IsValidator(string name)
        => string.Equals(name, HeaderNames.IfNoneMatch, StringComparison.OrdinalIgnoreCase)
            || string.Equals(name, HeaderNames.IfModifiedSince, StringComparison.OrdinalIgnoreCase);
}
