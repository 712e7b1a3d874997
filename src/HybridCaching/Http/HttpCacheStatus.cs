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
/// <item><c>X-Cache: MISS</c> — this request went to the origin itself (whether or not the response was then stored),
/// or it received a result that carries no best-before time: one that was never stored, as the Go original leaves
/// under its lock for a response it does not cache.</item>
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

    /// <summary>The label for a response answered by the cache (a stored entry, or a concurrent run's result).</summary>
    /// <param name="response">The response as the cache returned it.</param>
    /// <param name="now">The current time.</param>
    /// <returns><see cref="Hit"/> before its best-before time, <see cref="Stale"/> after it, and <see cref="Miss"/>
    /// when it has none (a result that was never stored).</returns>
    internal static string Of(CachedHttpResponse response, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(response);
        return response.BestBefore == default ? Miss : response.BestBefore <= now ? Stale : Hit;
    }
}
