using HybridCaching.AspNetCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Adds the HybridCaching response-caching middleware to an application's pipeline.</summary>
public static class HybridResponseCachingApplicationBuilderExtensions
{
    /// <summary>Caches the responses of what comes after this call: hits are answered from the cache (stale ones while
    /// a background refresh runs), and concurrent requests for a missing response run the pipeline once. Responses
    /// carry <c>X-Cache: HIT|STALE|MISS</c> (and <c>Age</c> on hits).</summary>
    /// <param name="app">The application builder.</param>
    /// <param name="options">The settings (see <see cref="HybridResponseCachingOptions"/> for the safe defaults);
    /// validated here and read once.</param>
    /// <returns><paramref name="app"/>.</returns>
    /// <remarks>Place it after routing (to see the endpoint's policy), after authentication (to pass authenticated
    /// requests through) and after any middleware that varies the body per request (compression).</remarks>
    public static IApplicationBuilder UseHybridResponseCaching(this IApplicationBuilder app, HybridResponseCachingOptions options)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var services = app.ApplicationServices;
        return app.Use(next => new HybridResponseCachingMiddleware(next, options, services).InvokeAsync);
    }

    /// <summary>Adds the response-caching middleware with the options registered by
    /// <c>services.AddHybridResponseCaching(...)</c>.</summary>
    /// <param name="app">The application.</param>
    /// <returns>The application.</returns>
    /// <exception cref="InvalidOperationException"><c>AddHybridResponseCaching</c> was not called.</exception>
    public static IApplicationBuilder UseHybridResponseCaching(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var options = app.ApplicationServices.GetService<IOptions<HybridResponseCachingOptions>>()?.Value;
        if (options is null || (options.Cache is null && options.CacheFunc is null))
        {
            throw new InvalidOperationException("Call services.AddHybridResponseCaching(...) before app.UseHybridResponseCaching().");
        }

        return app.UseHybridResponseCaching(options);
    }
}
