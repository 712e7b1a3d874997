using HybridCaching.Hosting;
using Microsoft.Extensions.Configuration;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers HybridCaching in a service collection.</summary>
public static class HybridCachingServiceCollectionExtensions
{
    /// <summary>Starts registering HybridCaching: add levels and cache functions on the returned builder.</summary>
    /// <example><code>
    /// services.AddHybridCaching(configuration.GetSection("HybridCaching"))
    ///     .AddHybrid()
    ///     .AddCacheFunc()
    ///     .AddCacheFunc("products");
    /// </code></example>
    /// <param name="services">The services.</param>
    /// <param name="configuration">The section settings bind from (e.g. <c>configuration.GetSection("HybridCaching")</c>);
    /// null to set everything in code.</param>
    /// <returns>The builder.</returns>
    public static HybridCachingBuilder AddHybridCaching(this IServiceCollection services, IConfiguration? configuration = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        return new HybridCachingBuilder(services, configuration);
    }
}
