using HybridCaching;
using HybridCaching.AspNetCore;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the response-caching middleware's options, so <c>app.UseHybridResponseCaching()</c> needs none in hand.</summary>
public static class HybridResponseCachingServiceCollectionExtensions
{
    /// <summary>Registers <see cref="HybridResponseCachingOptions"/>; unless <paramref name="configure"/> sets
    /// <see cref="HybridResponseCachingOptions.Cache"/> or <see cref="HybridResponseCachingOptions.CacheFunc"/>, responses are
    /// cached in the <see cref="ICacheAdapter"/> registered in the container (e.g. by <c>AddHybridCaching()</c>). Also registers
    /// <see cref="HybridResponseCacheEvictor"/>, to evict responses by tag.</summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Sets the options.</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddHybridResponseCaching(this IServiceCollection services, Action<HybridResponseCachingOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<HybridResponseCachingOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.PostConfigure<IServiceProvider>((o, sp) =>
        {
            if (o.Cache is null && o.CacheFunc is null)
            {
                o.Cache = sp.GetRequiredService<ICacheAdapter>();
            }

            o.TimeProvider ??= sp.GetService<TimeProvider>();
        });
        services.TryAddSingleton(sp => new HybridResponseCacheEvictor(
            sp.GetRequiredService<IOptions<HybridResponseCachingOptions>>().Value, sp.GetService<EndpointDataSource>()));
        return services;
    }
}
