using Microsoft.AspNetCore.Routing;

namespace HybridCaching.AspNetCore;

/// <summary>
/// Evicts cached responses by tag (<see cref="HybridResponseCachePolicy.Tags"/>) on every server sharing the cache.
/// Registered by <c>services.AddHybridResponseCaching(...)</c>; inject it where the data behind those responses changes.
/// </summary>
/// <remarks>The tag's eviction time is stored in the cache (see
/// <see cref="CacheFunc.RemoveByTagAsync(string, CancellationToken)"/>) for the longest ttl of the middleware and of
/// every policy it can see. Without this service, use
/// <see cref="CacheFunc.RemoveByTagAsync(string, TimeSpan, CancellationToken)"/> with the longest ttl.</remarks>
public sealed class HybridResponseCacheEvictor
{
    private readonly HybridResponseCachingOptions _options;
    private readonly EndpointDataSource? _endpoints;

    internal HybridResponseCacheEvictor(HybridResponseCachingOptions options, EndpointDataSource? endpoints)
    {
        _options = options;
        _endpoints = endpoints;
    }

    /// <summary>Makes every stored response carrying <paramref name="tag"/> a miss from now on.</summary>
    /// <param name="tag">The tag; not null or empty.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes once the eviction is stored.</returns>
    public ValueTask EvictByTagAsync(string tag, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(tag);

        // A CacheFunc runs on the options' adapter and clock (as they document), and adds its own ttl.
        if (_options.CacheFunc is { } func)
        {
            return func.RemoveByTagAsync(tag, LongestTtl(), cancellationToken);
        }

        var options = new CacheFuncOptions { Ttl = LongestTtl(), TimeProvider = _options.TimeProvider };
        return new CacheFunc(_options.Cache!, options).RemoveByTagAsync(tag, cancellationToken);
    }

    // The longest ttl of the options and every policy (a CacheFunc's own ttl aside).
    internal TimeSpan LongestTtl()
    {
        // Policies with a waitFor of their own run on the options' durations, even beside a CacheFunc.
        var longest = _options.Policies.Values.Select(static policy => policy.Ttl).Aggregate(_options.Ttl, Max);
        foreach (var endpoint in _endpoints?.Endpoints ?? [])
        {
            if (EndpointPolicies.FindMetadata(endpoint) is not { } metadata)
            {
                continue;
            }

            try
            {
                longest = Max(longest, EndpointPolicies.Settings(metadata, _options.Policies, endpoint).Ttl);
            }
            catch (InvalidOperationException)
            {
                // An endpoint naming an unknown policy never stores anything (its requests throw).
            }
        }

        return longest;
    }

    private static TimeSpan Max(TimeSpan longest, TimeSpan? ttl) => ttl > longest ? ttl.Value : longest;
}
