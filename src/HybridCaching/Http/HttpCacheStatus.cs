namespace HybridCaching.Http;

/// <summary>
/// The header the HTTP caches add to every response they handle, telling where it came from (responses from the cache
/// also carry <c>Age</c>). Responses they do not handle (other methods, <c>Authorization</c>, ...) are left untouched.
/// </summary>
public static class HttpCacheStatus
{
    /// <summary>The header's name: <c>X-Cache</c>.</summary>
    public const string HeaderName = "X-Cache";

    /// <summary>Served from the cache: a fresh entry, or the result of a concurrent request's run that this request waited for.</summary>
    public const string Hit = "HIT";

    /// <summary>Served from an entry past its fresh-for time, while a background refresh runs.</summary>
    public const string Stale = "STALE";

    /// <summary>This request went to the origin itself (stored or not), or it received a result that was never stored
    /// (as the Go original leaves under its lock for a response it does not cache).</summary>
    public const string Miss = "MISS";
}
