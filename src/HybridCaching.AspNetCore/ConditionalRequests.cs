using HybridCaching.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace HybridCaching.AspNetCore;

// Conditional requests against the cache: a stored 2xx response gets a strong ETag from its bytes unless the app set
// one (ResponsePolicy.ToCached), and a GET or HEAD answered from the cache whose If-None-Match (or, without it, If-Modified-Since) holds is
// answered 304 without running the app. The request that runs the pipeline has its validators removed first: the
// waiters and the cache need the full response (an app's own 304 could not be shared), and its client receives it.
internal static class ConditionalRequests
{
    public static bool IsNotModified(HttpRequest request, CachedHttpResponse cached)
    {
        var headers = request.Headers;
        var ifNoneMatch = headers.IfNoneMatch;
        var ifModifiedSince = headers.IfModifiedSince;
        return (ifNoneMatch.Count > 0 || ifModifiedSince.Count > 0)
            && (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method))
            && HttpValidators.IsNotModified(ifNoneMatch, ifModifiedSince, cached);
    }

    public static void RemoveValidators(IHeaderDictionary headers)
    {
        headers.Remove(HeaderNames.IfNoneMatch);
        headers.Remove(HeaderNames.IfModifiedSince);
    }

    // Validators are never recorded for a background refresh.
    public static bool IsValidator(string name)
        => string.Equals(name, HeaderNames.IfNoneMatch, StringComparison.OrdinalIgnoreCase)
            || string.Equals(name, HeaderNames.IfModifiedSince, StringComparison.OrdinalIgnoreCase);
}
