using HybridCaching;
using HybridCaching.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the response-caching <see cref="HttpCacheHandler"/> to a named or typed <see cref="HttpClient"/>.</summary>
public static class HybridCachingHttpClientBuilderExtensions
{
    /// <summary>Caches this client's responses in the <see cref="ICacheAdapter"/> registered by
    /// <c>AddHybridCaching()</c> (unless <paramref name="configure"/> sets <see cref="HttpCacheHandlerOptions.Cache"/> or
    /// <see cref="HttpCacheHandlerOptions.CacheFunc"/>).</summary>
    /// <param name="builder">The client's builder.</param>
    /// <param name="configure">Sets the handler's options (named after the client).</param>
    /// <returns>The builder.</returns>
    public static IHttpClientBuilder AddHybridCaching(this IHttpClientBuilder builder, Action<HttpCacheHandlerOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = builder.Services.AddOptions<HttpCacheHandlerOptions>(builder.Name);
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
            o.Logger ??= sp.GetService<ILoggerFactory>()?.CreateLogger<HttpCacheHandler>();
        });
        return builder.AddHttpMessageHandler(sp => new HttpCacheHandler(sp.GetRequiredService<IOptionsMonitor<HttpCacheHandlerOptions>>().Get(builder.Name)));
    }
}
