namespace HybridCaching.Http;

// The rules the client handler and the ASP.NET Core middleware apply alike to responses.
internal static class HttpResponsePolicy
{
    private static readonly HashSet<string> PerDeliveryHeaders = new(
        ["Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authenticate", "Proxy-Authorization", "TE", "Trailer",
            "Transfer-Encoding", "Upgrade", "Age", HttpCacheStatus.HeaderName],
        StringComparer.OrdinalIgnoreCase);

    // The limits of the cache functions the HTTP caches create: keys as long as a request line Kestrel accepts (8 KiB),
    // and no payload limit, since each bounds response bodies itself.
    public const int MaximumKeyLength = 8 * 1024;
    public const int MaximumPayloadBytes = int.MaxValue;

    // The Vary rule of a reader that checks the request's values itself: every request header is covered; * never is.
    public static readonly Func<string, bool> AnyRequestHeader = static _ => true;

    // What a run whose response must not be shared hands its waiters (it is not stored either).
    public static CachedHttpResponse NotShared(CacheFuncContext context)
    {
        context.NoCache = true;
        return CachedHttpResponse.Bypass;
    }

    // Whether a response may be handed to other callers (and so perhaps stored), whoever wrote it: not partial, not a
    // 304, no cookie, no Vary naming a header varyCovers does not cover (null: any Vary refuses it, * always does), and no
    // Cache-Control no-store, private or no-cache (with or without an argument, in any case).
    public static bool IsShareable(CachedHttpResponse response, Func<string, bool>? varyCovers = null)
    {
        var headers = response.Headers;
        return IsShareable(response.StatusCode, headers.ContainsKey("Set-Cookie"), headers.GetValueOrDefault("Vary"), headers.GetValueOrDefault("Cache-Control"), varyCovers);
    }

    // The same rule on a response being produced (the middleware's); Vary and Cache-Control null or empty when absent.
    public static bool IsShareable(int statusCode, bool setsCookie, IEnumerable<string?>? vary, IEnumerable<string?>? cacheControl, Func<string, bool>? varyCovers)
        => statusCode is not (206 or 304)
            && !setsCookie
            && (vary is null || IsCoveredVary(vary, varyCovers))
            && (cacheControl is null || !HasUnshareableDirective(cacheControl));

    // The members of comma-separated header values, trimmed.
    public static IEnumerable<string> Members(IEnumerable<string?> values)
        => values.SelectMany(static v => (v ?? string.Empty).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));

    // Whether a header is never stored (hop-by-hop, or computed on each delivery).
    public static bool IsPerDeliveryHeader(string name) => PerDeliveryHeaders.Contains(name);

    // A response whose entry goes stale within a second records its request, so a background refresh can repeat it.
    public static bool IsNearlyStale(CachedHttpResponse response, DateTimeOffset now) => response.BestBefore <= now + TimeSpan.FromSeconds(1);

    // The HttpCacheStatus label of a response answered by the cache (a stored entry, or a concurrent run's result).
    public static string StatusOf(CachedHttpResponse response, DateTimeOffset now)
        => response.BestBefore == default ? HttpCacheStatus.Miss : response.BestBefore <= now ? HttpCacheStatus.Stale : HttpCacheStatus.Hit;

    // Whether a failed cache lookup is logged and taken as a miss (not the caller's cancellation, not a disposed cache).
    public static bool IsLookupFailure(Exception ex, CancellationToken cancellationToken)
        => !(ex is OperationCanceledException && cancellationToken.IsCancellationRequested) && ex is not ObjectDisposedException;

    // Loops rather than LINQ: this runs on every decode of a stored response (a hit without value reuse).
    private static bool IsCoveredVary(IEnumerable<string?> varyValues, Func<string, bool>? covers)
    {
        if (covers is null)
        {
            return false;
        }

        foreach (var name in Members(varyValues))
        {
            if (name == "*" || !covers(name))
            {
                return false;
            }
        }

        return true;
    }

    private static bool HasUnshareableDirective(IEnumerable<string?> cacheControl)
    {
        foreach (var directive in Members(cacheControl))
        {
            var name = directive.AsSpan(0, directive.IndexOf('=') is >= 0 and var equals ? equals : directive.Length).TrimEnd();
            if (name.Equals("no-store", StringComparison.OrdinalIgnoreCase)
                || name.Equals("private", StringComparison.OrdinalIgnoreCase)
                || name.Equals("no-cache", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}
