namespace HybridCaching.Http;

/// <summary>The safe-default rules the <see cref="HttpCacheHandler"/> applies to responses.</summary>
internal static class HttpResponsePolicy
{
    /// <summary>Whether a response may be handed to other callers at all (and so, perhaps, stored): not
    /// partial, not a 304, no cookie, no <c>Vary</c>, and no <c>Cache-Control</c> directive that forbids it.</summary>
    public static bool IsShareable(HttpResponseMessage response)
    {
        var headers = response.Headers.NonValidated;
        return IsShareable(
            (int)response.StatusCode,
            headers.Contains("Set-Cookie") || headers.Contains("Vary"),
            headers.TryGetValues("Cache-Control", out var cacheControl) ? cacheControl : null);
    }

    /// <summary>The same rule for a response read from the cache, whoever wrote it (the Go original stores every
    /// response, cookies included).</summary>
    public static bool IsShareable(CachedHttpResponse response) => IsShareable(response, varyAllowed: false);

    /// <summary>The same rule, except that with <paramref name="varyAllowed"/> a <c>Vary</c> header naming request
    /// headers is allowed (the ASP.NET Core middleware stores and checks variants); <c>Vary: *</c> never is.</summary>
    public static bool IsShareable(CachedHttpResponse response, bool varyAllowed)
    {
        var headers = response.Headers;
        bool refusedVary = headers.TryGetValue("Vary", out string[]? vary) && (!varyAllowed || VariesByEverything(vary));
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

    private static bool IsShareable(int status, bool hasCookieOrVary, IEnumerable<string>? cacheControl)
        => status is not (206 or 304) && !hasCookieOrVary && (cacheControl is null || !HasUnshareableDirective(cacheControl));
}
