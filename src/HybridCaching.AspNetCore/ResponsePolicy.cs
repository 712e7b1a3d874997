using HybridCaching.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace HybridCaching.AspNetCore;

// The safe-default rules on responses, and a response's headers as the cache stores them.
internal static class ResponsePolicy
{
    // Whether a response may be handed to other requests at all (and so, perhaps, stored): not partial, not a 304, no
    // cookie, no Vary: * (other Vary values are stored per variant), no Cache-Control directive that forbids it, and no
    // declared length over the limit.
    public static bool IsShareable(HttpResponse response, long maximumBodySize)
    {
        if (response.StatusCode is StatusCodes.Status206PartialContent or StatusCodes.Status304NotModified)
        {
            return false;
        }

        var headers = response.Headers;
        if (!StringValues.IsNullOrEmpty(headers.SetCookie) || HttpResponsePolicy.VariesByEverything(headers.Vary))
        {
            return false;
        }

        var cacheControl = headers.CacheControl;
        if (!StringValues.IsNullOrEmpty(cacheControl)
            && (HeaderUtilities.ContainsCacheDirective(cacheControl, CacheControlHeaderValue.NoStoreString)
                || HeaderUtilities.ContainsCacheDirective(cacheControl, CacheControlHeaderValue.PrivateString)
                || HeaderUtilities.ContainsCacheDirective(cacheControl, CacheControlHeaderValue.NoCacheString)))
        {
            return false;
        }

        return !(response.ContentLength > maximumBodySize);
    }

    // With a Date added when the app set none (so Age can be computed on hits), and the request's Vary marker in place
    // of any the app set.
    public static List<KeyValuePair<string, string[]>> Headers(IHeaderDictionary headers, DateTimeOffset now, string? varyMarker)
    {
        var result = new List<KeyValuePair<string, string[]>>(headers.Count + 2);
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

        return result;
    }
}
