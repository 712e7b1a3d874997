namespace HybridCaching.Http;

/// <summary>
/// The header the HTTP caches add to every response they handle, telling where it came from. Responses the
/// cache does not handle (other methods, <c>Authorization</c>, refused by <c>AcceptRequest</c>) are left untouched.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item><c>X-Cache: HIT</c> — served from the cache (a fresh entry, or the result of a concurrent request's
/// run that this request waited for); an <c>Age</c> header gives the seconds since the origin produced it.</item>
/// <item><c>X-Cache: STALE</c> — served from an entry past its fresh-for time, while a background refresh
/// runs; <c>Age</c> as for a hit.</item>
/// <item><c>X-Cache: MISS</c> — this request went to the origin itself (whether or not the response was then stored).</item>
/// </list>
/// </remarks>
public static class HttpCacheStatus
{
    /// <summary>The header's name: <c>X-Cache</c>.</summary>
    public const string HeaderName = "X-Cache";

    /// <summary>Served from the cache while fresh.</summary>
    public const string Hit = "HIT";

    /// <summary>Served from the cache after its fresh-for time; refreshed in the background.</summary>
    public const string Stale = "STALE";

    /// <summary>This request went to the origin.</summary>
    public const string Miss = "MISS";
}
