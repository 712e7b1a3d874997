using HybridCaching.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace HybridCaching.AspNetCore;

// The safe-default rules on responses, and a response's headers as the cache stores them.
internal static class ResponsePolicy
{
    // Whether a response may be handed to other requests at all (and so, perhaps, stored): the safe defaults every
    // stored response is read back with (a Vary other than * is stored per variant), and no declared length over the limit.
    public static bool IsShareable(HttpResponse response, long maximumBodySize)
    {
        var headers = response.Headers;
        bool setsCookie = !StringValues.IsNullOrEmpty(headers.SetCookie);
        return HttpResponsePolicy.IsShareable(response.StatusCode, setsCookie, headers.Vary, headers.CacheControl, HttpResponsePolicy.AnyRequestHeader)
            && !(response.ContentLength > maximumBodySize);
    }

    // The response as the cache stores it: with a Date added when the app set none (so Age can be computed on hits), the
    // request's Vary marker in place of any the app set, and a strong ETag on a 2xx the app did not tag (so conditional
    // requests can be answered from the cache).
    public static CachedHttpResponse ToCached(HttpResponse response, ReadOnlyMemory<byte> body, DateTimeOffset now, string? varyMarker)
    {
        var headers = response.Headers;
        var result = new List<KeyValuePair<string, string[]>>(headers.Count + 3);
        foreach (var (name, values) in headers)
        {
            if (!string.Equals(name, ResponseVary.MarkerHeader, StringComparison.OrdinalIgnoreCase))
            {
                result.Add(new(name, Array.ConvertAll(values.ToArray(), static v => v ?? string.Empty)));
            }
        }

        if (StringValues.IsNullOrEmpty(headers.Date))
        {
            result.Add(new(HeaderNames.Date, [HttpValidators.FormatHttpDate(now)]));
        }

        if (varyMarker is not null)
        {
            result.Add(new(ResponseVary.MarkerHeader, [varyMarker]));
        }

        if (HttpValidators.IsValidatable(response.StatusCode) && !headers.ContainsKey(HeaderNames.ETag))
        {
            result.Add(new(HeaderNames.ETag, [HttpValidators.ComputeETag(response.StatusCode, body.Span)]));
        }

        return new CachedHttpResponse(response.StatusCode, result, body);
    }
}
