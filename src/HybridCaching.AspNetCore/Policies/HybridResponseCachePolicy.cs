using Microsoft.AspNetCore.Http;

namespace HybridCaching.AspNetCore;

/// <summary>How the responses of an endpoint (or of those using a named policy) are cached: durations, what the key
/// varies by, tags. Attach one with <c>endpoint.CacheHybridResponse(p => ...)</c> or register a named one with
/// <see cref="HybridResponseCachingOptions.AddPolicy(string, Action{HybridResponseCachePolicy})"/>.</summary>
/// <remarks>A setting left null keeps the middleware's. The policy is read once, the first time the middleware meets
/// it.</remarks>
public sealed class HybridResponseCachePolicy
{
    /// <summary>How long a stored response is fresh; after that it is served stale and refreshed in the background.</summary>
    /// <value>Null (the middleware's freshFor) or positive.</value>
    public TimeSpan? FreshFor { get; set; }

    /// <summary>How long a response stays stored.</summary>
    /// <value>Null (the middleware's ttl) or positive.</value>
    public TimeSpan? Ttl { get; set; }

    /// <summary>How long the endpoint may take to produce a response other requests wait for.</summary>
    /// <value>Null (the middleware's waitFor) or positive. A policy that sets it gets a <see cref="CacheFunc"/> of its
    /// own over <see cref="HybridResponseCachingOptions.Cache"/>, which must then be set.</value>
    public TimeSpan? WaitFor { get; set; }

    /// <summary>Query parameters the cache key varies by, in any order; the rest of the query string is then left out
    /// of the default key (a custom <see cref="HybridResponseCachingOptions.RequestKey"/> is kept whole).</summary>
    /// <value>Names, compared case-insensitively; default none (the default key holds the whole query string).</value>
    public IList<string> VaryByQuery { get; } = new List<string>();

    /// <summary>Request headers the cache key varies by, in any order (on top of any <c>Vary</c> the response sends,
    /// which is always honoured).</summary>
    /// <value>Names, compared case-insensitively; default none.</value>
    public IList<string> VaryByHeader { get; } = new List<string>();

    /// <summary>Route values the cache key varies by, in any order.</summary>
    /// <value>Names, compared case-insensitively; default none.</value>
    public IList<string> VaryByRouteValue { get; } = new List<string>();

    /// <summary>Tags stored with every response of the policy, to evict them by (<see cref="HybridResponseCacheEvictor"/>).</summary>
    /// <value>Not null nor empty; default none.</value>
    public IList<string> Tags { get; } = new List<string>();

    /// <summary>Computes more tags from the request that produced the response (a refresh's recorded copy).</summary>
    /// <value>Default none; null or empty tags it returns are ignored.</value>
    public Func<HttpContext, IEnumerable<string>>? TagsFrom { get; set; }

    // A copy with an attribute's settings on top: a duration it sets replaces this one's, its names are added.
    internal HybridResponseCachePolicy With(CacheHybridResponseAttribute attribute)
    {
        var copy = new HybridResponseCachePolicy
        {
            FreshFor = attribute.FreshForSeconds != 0 ? TimeSpan.FromSeconds(attribute.FreshForSeconds) : FreshFor,
            Ttl = attribute.TtlSeconds != 0 ? TimeSpan.FromSeconds(attribute.TtlSeconds) : Ttl,
            WaitFor = WaitFor,
            TagsFrom = TagsFrom,
        };
        AddAll(copy.VaryByQuery, VaryByQuery, attribute.VaryByQuery);
        AddAll(copy.VaryByHeader, VaryByHeader, attribute.VaryByHeader);
        AddAll(copy.VaryByRouteValue, VaryByRouteValue, attribute.VaryByRouteValue);
        AddAll(copy.Tags, Tags, attribute.Tags);
        return copy;
    }

    internal void Validate(string what)
    {
        if (CacheDurations.Problems(WaitFor, FreshFor, Ttl).FirstOrDefault() is { } problem)
        {
            throw new InvalidOperationException($"{what}: {problem}");
        }

        ThrowIfAnyEmpty(VaryByQuery, what, nameof(VaryByQuery));
        ThrowIfAnyEmpty(VaryByHeader, what, nameof(VaryByHeader));
        ThrowIfAnyEmpty(VaryByRouteValue, what, nameof(VaryByRouteValue));
        ThrowIfAnyEmpty(Tags, what, nameof(Tags));
    }

    private static void AddAll(IList<string> target, IEnumerable<string> items, IEnumerable<string>? more)
    {
        foreach (var item in items.Concat(more ?? []))
        {
            target.Add(item);
        }
    }

    private static void ThrowIfAnyEmpty(IList<string> values, string what, string name)
    {
        if (values.Any(string.IsNullOrEmpty))
        {
            throw new InvalidOperationException($"{what}: {name} holds a null or empty name.");
        }
    }
}
