using HybridCaching.Http;

namespace HybridCaching.Testing;

/// <summary>Reads the cache's status header from a response.</summary>
public static class CacheStatusHeader
{
    /// <summary>The response's <see cref="HttpCacheStatus.HeaderName"/> value, or null without one.</summary>
    public static string? CacheStatus(HttpResponseMessage response)
        => response.Headers.TryGetValues(HttpCacheStatus.HeaderName, out var values) ? values.Single() : null;
}
