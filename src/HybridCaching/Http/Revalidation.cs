namespace HybridCaching.Http;

/// <summary>
/// How an <see cref="HttpCacheHandler"/> revalidates a stale entry (RFC 9111 §4.3): the background refresh asks the
/// origin with the entry's validators, and a <c>304 Not Modified</c> renews the stored response instead of
/// replacing it, so an unchanged body is not sent again.
/// </summary>
internal static class Revalidation
{
    /// <summary>Makes a refresh request conditional: <c>If-None-Match</c> with the stale entry's <c>ETag</c>, or
    /// without one, <c>If-Modified-Since</c> with its <c>Last-Modified</c>.</summary>
    /// <returns>Whether a validator was added (only then is a 304 expected).</returns>
    public static bool AddValidators(HttpRequestMessage request, CachedHttpResponse? stale)
    {
        if (stale is null || !HttpValidators.IsValidatable(stale.StatusCode))
        {
            return false;
        }

        var headers = request.Headers;
        if (stale.Headers.TryGetValue("ETag", out string[]? etag) && etag.Length == 1 && HttpValidators.TryParseEntityTag(etag[0], out _, out _))
        {
            return headers.TryAddWithoutValidation("If-None-Match", etag[0]);
        }

        return stale.Headers.TryGetValue("Last-Modified", out string[]? lastModified) && lastModified.Length == 1
            && HttpValidators.TryParseHttpDate(lastModified[0], out _)
            && headers.TryAddWithoutValidation("If-Modified-Since", lastModified[0]);
    }

    /// <summary>The stale entry renewed by the origin's 304: body and status kept, headers updated from the 304.</summary>
    public static CachedHttpResponse Refresh(CachedHttpResponse stale, HttpResponseMessage notModified, DateTimeOffset now)
    {
        var headers = new List<KeyValuePair<string, string[]>>();
        foreach (var header in notModified.Headers.NonValidated)
        {
            headers.Add(new(header.Key, [.. header.Value]));
        }

        foreach (var header in notModified.Content.Headers.NonValidated)
        {
            headers.Add(new(header.Key, [.. header.Value]));
        }

        return HttpValidators.Refresh(stale, headers, now);
    }
}
