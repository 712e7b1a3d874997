using HybridCaching.Distributed;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
#if NET10_0_OR_GREATER
using HybridCaching.MicrosoftHybrid;
using AbstractHybridCache = Microsoft.Extensions.Caching.Hybrid.HybridCache;
#endif

namespace HybridCaching.Hosting;

/// <summary>Serves Microsoft's caching abstractions from this library, one line each: code written against
/// <see cref="IDistributedCache"/> (sessions, <c>GetString</c>/<c>SetString</c> helpers) or against Microsoft's
/// <c>HybridCache</c> gets this library's levels with no other change.</summary>
public static class HybridCachingBuilderMicrosoftExtensions
{
    /// <summary>Registers the app's <see cref="IDistributedCache"/> as <see cref="CacheAdapterDistributedCache"/> over the
    /// level every <see cref="CacheFunc"/> runs over, replacing one registered before (an <c>AddDistributedMemoryCache()</c>
    /// called later, as <c>AddSession()</c> does, adds nothing over it).</summary>
    /// <param name="builder">The builder.</param>
    /// <returns>The builder.</returns>
    public static HybridCachingBuilder AddDistributedCache(this HybridCachingBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.RemoveAll<IDistributedCache>();
        builder.Services.AddSingleton<IDistributedCache>(sp =>
            new CacheAdapterDistributedCache(sp.GetRequiredService<ICacheAdapter>(), timeProvider: HybridCachingBuilder.TimeProviderOf(sp)));
        return builder;
    }

#if NET10_0_OR_GREATER
    /// <summary>Registers the app's <c>Microsoft.Extensions.Caching.Hybrid.HybridCache</c> as
    /// <see cref="CacheFuncHybridCache"/> over the <see cref="CacheFunc"/> named <paramref name="cacheFuncName"/> (added
    /// with <see cref="HybridCachingBuilder.AddCacheFunc"/>), replacing one registered before.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="cacheFuncName">The <see cref="CacheFunc"/> whose settings, level and entries it uses.</param>
    /// <returns>The builder.</returns>
    /// <remarks>Microsoft's <c>AddHybridCache()</c> registers with <c>TryAdd</c>: called later, it adds nothing over
    /// this one.</remarks>
    public static HybridCachingBuilder AddMicrosoftHybridCache(this HybridCachingBuilder builder, string cacheFuncName = HybridCachingBuilder.DefaultName)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(cacheFuncName);
        builder.Services.RemoveAll<AbstractHybridCache>();
        builder.Services.AddSingleton<AbstractHybridCache>(sp => new CacheFuncHybridCache(sp.GetRequiredKeyedService<CacheFunc>(cacheFuncName)));
        return builder;
    }
#endif
}
