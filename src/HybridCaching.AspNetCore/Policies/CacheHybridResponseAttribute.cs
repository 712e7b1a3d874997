namespace HybridCaching.AspNetCore;

/// <summary>Caches the responses of a controller, an action or a minimal-API handler through the hybrid
/// response-caching middleware: its defaults or a named policy (<see cref="PolicyName"/>), with these settings on top.</summary>
/// <remarks>Endpoint metadata (the middleware must run after routing); an endpoint's last such metadata (this or a
/// <see cref="HybridResponseCachePolicy"/>) wins.</remarks>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method | AttributeTargets.Delegate, AllowMultiple = false, Inherited = true)]
public sealed class CacheHybridResponseAttribute : Attribute
{
    /// <summary>Caches with the middleware's defaults (or <see cref="PolicyName"/>), changed by the settings given.</summary>
    public CacheHybridResponseAttribute()
    {
    }

    /// <summary>Caches for <paramref name="freshForSeconds"/> seconds before a background refresh.</summary>
    /// <param name="freshForSeconds">Positive.</param>
    public CacheHybridResponseAttribute(int freshForSeconds) => FreshForSeconds = freshForSeconds;

    /// <summary>How long a stored response is fresh, in seconds.</summary>
    /// <value>0 (the policy's or the middleware's) or positive.</value>
    public int FreshForSeconds { get; set; }

    /// <summary>How long a response stays stored, in seconds.</summary>
    /// <value>0 (the policy's or the middleware's) or positive.</value>
    public int TtlSeconds { get; set; }

    /// <summary>The named policy to start from (registered with <c>AddPolicy</c>).</summary>
    /// <value>Default none: the middleware's defaults. An unknown name throws an
    /// <see cref="InvalidOperationException"/> on the endpoint's first request.</value>
    public string? PolicyName { get; set; }

    /// <summary>Query parameters the key varies by, added to the policy's (see <see cref="HybridResponseCachePolicy.VaryByQuery"/>).</summary>
    public string[]? VaryByQuery { get; set; }

    /// <summary>Request headers the key varies by, added to the policy's.</summary>
    public string[]? VaryByHeader { get; set; }

    /// <summary>Route values the key varies by, added to the policy's.</summary>
    public string[]? VaryByRouteValue { get; set; }

    /// <summary>Tags of the responses, added to the policy's.</summary>
    public string[]? Tags { get; set; }
}
