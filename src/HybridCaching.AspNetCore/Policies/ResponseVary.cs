using System.Text;
using HybridCaching.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace HybridCaching.AspNetCore;

/// <summary>
/// A response's own <c>Vary</c>: which request's values a stored response was produced for, and whether it may be
/// served to another request.
/// </summary>
/// <remarks>
/// A stored response with <c>Vary</c> carries, in <see cref="MarkerHeader"/> (kept in the envelope, never sent), the
/// values its request had for the varied headers. It is served only to a request with the same values. Any other
/// request looks for its own variant under the entry's key plus its values (<see cref="VariantKey"/>): so the entry under
/// the plain key doubles as the record of which headers the response varies by, at no cost to responses without
/// <c>Vary</c>. A stored response with <c>Vary</c> and no (or another) marker — one written by the Go original, which
/// ignores <c>Vary</c> — is never served.
/// </remarks>
internal static class ResponseVary
{
    /// <summary>The stored header holding the varied request values of the response's request.</summary>
    public const string MarkerHeader = "X-Cache-Variant";

    /// <summary>The marker of <paramref name="request"/> for the response headers' <c>Vary</c>, or null without one.</summary>
    public static string? Marker(IHeaderDictionary responseHeaders, HttpRequest request)
        => StringValues.IsNullOrEmpty(responseHeaders.Vary) ? null : Marker(responseHeaders.Vary, request);

    /// <summary>Whether a stored response may be served to <paramref name="request"/>; when not, <paramref name="marker"/>
    /// is the request's values for the response's <c>Vary</c> (the end of <see cref="VariantKey"/>).</summary>
    public static bool Matches(CachedHttpResponse cached, HttpRequest request, out string? marker)
    {
        marker = null;
        if (!cached.Headers.TryGetValue(HeaderNames.Vary, out string[]? vary))
        {
            return true;
        }

        marker = Marker(vary, request);
        return marker is null || CarriesMarker(cached, marker);
    }

    /// <summary>Where the variant of a key's response for a request's values is stored.</summary>
    public static string VariantKey(string key, string marker) => key + " v:" + marker;

    /// <summary>Whether <paramref name="cached"/> was stored as a variant (it carries a marker).</summary>
    public static bool IsVariant(CachedHttpResponse cached) => cached.Headers.ContainsKey(MarkerHeader);

    /// <summary>Whether <paramref name="cached"/> was stored for the variant <paramref name="marker"/>.</summary>
    public static bool CarriesMarker(CachedHttpResponse cached, string marker)
        => cached.Headers.TryGetValue(MarkerHeader, out string[]? stored) && stored.Length == 1 && string.Equals(stored[0], marker, StringComparison.Ordinal);

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
