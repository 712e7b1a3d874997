using System.Text;
using HybridCaching.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace HybridCaching.AspNetCore;

// A response's own Vary: which request's values a stored response was produced for, and whether it may be served to
// another request. A stored response with Vary carries, in MarkerHeader (kept in the envelope, never sent), the values
// its request had for the varied headers, and is served only to a request with the same values. Any other request
// looks for its own variant under the entry's key plus its values (VariantKey): the entry under the plain key doubles as
// the record of which headers the response varies by, at no cost to responses without Vary. A stored response with Vary
// and no (or another) marker (one written by the Go original, which ignores Vary) is never served.
internal static class ResponseVary
{
    public const string MarkerHeader = "X-Cache-Variant";

    // The request's marker for the response headers' Vary, or null without one.
    public static string? Marker(IHeaderDictionary responseHeaders, HttpRequest request)
        => StringValues.IsNullOrEmpty(responseHeaders.Vary) ? null : Marker(responseHeaders.Vary, request);

    // Whether a stored response may be served to the request (under a variant key only one stored as a variant: a
    // custom key could otherwise collide with it); when not, marker is the request's values for the response's Vary
    // (the end of VariantKey).
    public static bool Matches(CachedHttpResponse cached, HttpRequest request, bool underVariantKey, out string? marker)
    {
        marker = cached.Headers.TryGetValue(HeaderNames.Vary, out string[]? vary) ? Marker(vary, request) : null;
        if (underVariantKey && !cached.Headers.ContainsKey(MarkerHeader))
        {
            return false;
        }

        return marker is null
            || (cached.Headers.TryGetValue(MarkerHeader, out string[]? stored) && stored.Length == 1 && string.Equals(stored[0], marker, StringComparison.Ordinal));
    }

    public static string VariantKey(string key, string marker) => key + " v:" + marker;

    private static string? Marker(StringValues vary, HttpRequest request)
    {
        var names = VaryKey.Normalize(vary.SelectMany(static v => (v ?? string.Empty).Split(',')));
        if (names.Length == 0)
        {
            return null;
        }

        var values = new StringBuilder();
        VaryKey.Append(values, 'v', names, request.Headers, static (headers, name) => headers[name]);

        // A digest of the names and values, not the values: a varied header may carry a secret (Vary: Cookie) or be
        // long, and the marker ends up in a key name and in an entry a Go server would send as it is.
        return VaryKey.Digest(values.ToString());
    }
}
