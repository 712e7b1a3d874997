namespace HybridCaching.Http;

/// <summary>The safe-default rules the <see cref="HttpCacheHandler"/> applies to responses.</summary>
internal static class HttpResponsePolicy
{
    /// <summary>The <c>Vary</c> rule of a reader that checks the request's values itself (the ASP.NET Core middleware
    /// stores variants): every request header it names is covered; <c>*</c> never is.</summary>
    public static readonly Func<string, bool> AnyRequestHeader = static _ => true;

    /// <summary>Whether a response may be handed to other callers at all (and so, perhaps, stored): not
    /// partial, not a 304, no cookie, no <c>Vary</c> naming a header <paramref name="varyCovers"/> does not cover, and
    /// no <c>Cache-Control</c> directive that forbids it.</summary>
    /// <param name="response">The origin's response.</param>
    /// <param name="varyCovers">Which request headers a <c>Vary</c> may name (e.g. those the cache key varies by, so
    /// each variant has its own key); null: any <c>Vary</c> refuses the response. <c>*</c> always does.</param>
    public static bool IsShareable(HttpResponseMessage response, Func<string, bool>? varyCovers = null)
    {
        var headers = response.Headers.NonValidated;
        return IsShareable(
            (int)response.StatusCode,
            headers.Contains("Set-Cookie")
                || (headers.TryGetValues("Vary", out var vary) && !IsCoveredVary(vary, varyCovers)),
            headers.TryGetValues("Cache-Control", out var cacheControl) ? cacheControl : null);
    }

    /// <summary>The same rule for a response read from the cache, whoever wrote it (the Go original stores every
    /// response, cookies included).</summary>
    /// <param name="response">The stored response.</param>
    /// <param name="varyCovers">As for a response from the origin.</param>
    public static bool IsShareable(CachedHttpResponse response, Func<string, bool>? varyCovers = null)
    {
        var headers = response.Headers;
        return IsShareable(
            response.StatusCode,
            headers.ContainsKey("Set-Cookie") || (headers.TryGetValue("Vary", out string[]? vary) && !IsCoveredVary(vary, varyCovers)),
            headers.TryGetValue("Cache-Control", out string[]? cacheControl) ? cacheControl : null);
    }

    /// <summary>Whether <c>Vary</c> values hold <c>*</c> (the response varies by more than request headers).</summary>
    public static bool VariesByEverything(IEnumerable<string?> varyValues) => !IsCoveredVary(varyValues, AnyRequestHeader);

    /// <summary>Whether every header a <c>Vary</c> names is covered (<c>*</c> never is).</summary>
    private static bool IsCoveredVary(IEnumerable<string?> varyValues, Func<string, bool>? covers)
    {
        if (covers is null)
        {
            return false;
        }

        foreach (string? value in varyValues)
        {
            foreach (string name in (value ?? string.Empty).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                if (name == "*" || !covers(name))
                {
                    return false;
                }
            }
        }

        return true;
    }

    /// <summary>Whether <c>Cache-Control</c> values hold <c>no-store</c>, <c>private</c> or <c>no-cache</c>
    /// (with or without an argument, in any case).</summary>
    public static bool HasUnshareableDirective(IEnumerable<string> cacheControlValues)
    {
        foreach (string value in cacheControlValues)
        {
            foreach (string directive in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                int equals = directive.IndexOf('=', StringComparison.Ordinal);
                var name = (equals < 0 ? directive : directive[..equals]).AsSpan().Trim();
                if (name.Equals("no-store", StringComparison.OrdinalIgnoreCase)
                    || name.Equals("private", StringComparison.OrdinalIgnoreCase)
                    || name.Equals("no-cache", StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static bool IsShareable(int status, bool hasCookieOrUncoveredVary, IEnumerable<string>? cacheControl)
        => status is not (206 or 304) && !hasCookieOrUncoveredVary && (cacheControl is null || !HasUnshareableDirective(cacheControl));
}
