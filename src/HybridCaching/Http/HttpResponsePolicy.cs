namespace HybridCaching.Http;

/// <summary>The safe-default rules the <see cref="HttpCacheHandler"/> applies to responses.</summary>
internal static class HttpResponsePolicy
{
    /// <summary>Whether a response may be handed to other callers at all (and so, perhaps, stored): not
    /// partial, not a 304, no cookie, no <c>Vary</c> beyond <paramref name="varyBy"/>, and no <c>Cache-Control</c>
    /// directive that forbids it.</summary>
    /// <param name="response">The origin's response.</param>
    /// <param name="varyBy">The request headers the cache key varies by; a response varying on those alone is
    /// shareable (each variant has its own key). Null or empty: any <c>Vary</c> refuses the response.</param>
    public static bool IsShareable(HttpResponseMessage response, IReadOnlySet<string>? varyBy = null)
    {
        var headers = response.Headers.NonValidated;
        return IsShareable(
            (int)response.StatusCode,
            headers.Contains("Set-Cookie")
                || (headers.TryGetValues("Vary", out var vary) && !IsCoveredVary(vary, varyBy)),
            headers.TryGetValues("Cache-Control", out var cacheControl) ? cacheControl : null);
    }

    /// <summary>The same rule for a response read from the cache, whoever wrote it (the Go original stores every
    /// response, cookies included).</summary>
    /// <param name="response">The stored response.</param>
    /// <param name="varyAllowed">Whether a <c>Vary</c> naming request headers is allowed whatever it names (the ASP.NET
    /// Core middleware stores and checks variants itself); <c>Vary: *</c> never is.</param>
    /// <param name="varyBy">Otherwise, the request headers the cache key varies by, as for a response from the origin.</param>
    public static bool IsShareable(CachedHttpResponse response, bool varyAllowed = false, IReadOnlySet<string>? varyBy = null)
    {
        var headers = response.Headers;
        bool refusedVary = headers.TryGetValue("Vary", out string[]? vary)
            && (varyAllowed ? VariesByEverything(vary) : !IsCoveredVary(vary, varyBy));
        return IsShareable(
            response.StatusCode,
            headers.ContainsKey("Set-Cookie") || refusedVary,
            headers.TryGetValue("Cache-Control", out string[]? cacheControl) ? cacheControl : null);
    }

    /// <summary>Whether <c>Vary</c> values hold <c>*</c> (the response varies by more than request headers).</summary>
    public static bool VariesByEverything(IEnumerable<string?> varyValues)
    {
        foreach (string? value in varyValues)
        {
            foreach (string name in (value ?? string.Empty).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                if (name == "*")
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>Whether every header a <c>Vary</c> names is one the key varies by (<c>*</c> never is).</summary>
    private static bool IsCoveredVary(IEnumerable<string> varyValues, IReadOnlySet<string>? varyBy)
    {
        if (varyBy is null || varyBy.Count == 0)
        {
            return false;
        }

        foreach (string value in varyValues)
        {
            foreach (string name in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                if (!varyBy.Contains(name))
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
