using HybridCaching.AspNetCore;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Opts endpoints into the hybrid response-caching middleware, as <c>CacheOutput()</c> does for OutputCache.</summary>
public static class HybridResponseCachingEndpointConventionBuilderExtensions
{
    /// <summary>Caches the endpoints' responses with the middleware's defaults.</summary>
    /// <typeparam name="TBuilder">The builder type.</typeparam>
    /// <param name="builder">The endpoints.</param>
    /// <returns><paramref name="builder"/>.</returns>
    public static TBuilder CacheHybridResponse<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder
        => AddMetadata(builder, new CacheHybridResponseAttribute());

    /// <summary>Caches the endpoints' responses with a named policy.</summary>
    /// <typeparam name="TBuilder">The builder type.</typeparam>
    /// <param name="builder">The endpoints.</param>
    /// <param name="policyName">A name registered with <c>AddPolicy</c>; an unknown one throws an
    /// <see cref="InvalidOperationException"/> on the endpoint's first request.</param>
    /// <returns><paramref name="builder"/>.</returns>
    public static TBuilder CacheHybridResponse<TBuilder>(this TBuilder builder, string policyName)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentException.ThrowIfNullOrEmpty(policyName);
        return AddMetadata(builder, new CacheHybridResponseAttribute { PolicyName = policyName });
    }

    /// <summary>Caches the endpoints' responses with a policy of their own.</summary>
    /// <typeparam name="TBuilder">The builder type.</typeparam>
    /// <param name="builder">The endpoints.</param>
    /// <param name="configure">Sets the policy (a setting left alone keeps the middleware's); run once, here.</param>
    /// <returns><paramref name="builder"/>.</returns>
    public static TBuilder CacheHybridResponse<TBuilder>(this TBuilder builder, Action<HybridResponseCachePolicy> configure)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(configure);
        var policy = new HybridResponseCachePolicy();
        configure(policy);
        policy.Validate("CacheHybridResponse");
        return AddMetadata(builder, policy);
    }

    private static TBuilder AddMetadata<TBuilder>(TBuilder builder, object metadata)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Add(endpoint => endpoint.Metadata.Add(metadata));
        return builder;
    }
}
