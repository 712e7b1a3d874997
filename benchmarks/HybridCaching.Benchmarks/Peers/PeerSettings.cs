using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.DependencyInjection;
using ZiggyCreatures.Caching.Fusion;
using ZiggyCreatures.Caching.Fusion.Serialization.SystemTextJson;
using MsRedisCache = Microsoft.Extensions.Caching.StackExchangeRedis.RedisCache;
using MsRedisCacheOptions = Microsoft.Extensions.Caching.StackExchangeRedis.RedisCacheOptions;

namespace HybridCaching.Benchmarks.Peers;

/// <summary>
/// How each library is set up: its documented configuration, with the same lifetime everywhere (an hour, so every
/// hit in a run is fresh). Ours serializes with MessagePack (its default), both peers with System.Text.Json (theirs).
/// </summary>
internal static class PeerSettings
{
    public static readonly TimeSpan Duration = TimeSpan.FromHours(1);

    /// <summary>Our options; <paramref name="reuseValues"/> hands the decoded value to every caller, whatever its type.</summary>
    public static CacheFuncOptions Ours(bool reuseValues) => new()
    {
        WaitFor = TimeSpan.FromSeconds(20),
        FreshFor = Duration,
        Ttl = Duration,
        ReuseValues = reuseValues,
    };

    /// <summary>Our memory level, large enough never to evict in a run.</summary>
    public static MemoryCache OursMemory() => new(1_000_000, 1L << 30, Duration);

    /// <summary>FusionCache with its default options (values kept as objects and shared), or with
    /// <c>EnableAutoClone</c>, which needs a serializer and hands every caller its own copy.</summary>
    public static FusionCache Fusion(bool autoClone)
    {
        var cache = new FusionCache(new FusionCacheOptions
        {
            DefaultEntryOptions = new FusionCacheEntryOptions { Duration = Duration, EnableAutoClone = autoClone },
        });
        if (autoClone)
        {
            cache.SetupSerializer(new FusionCacheSystemTextJsonSerializer());
        }

        return cache;
    }

    /// <summary>FusionCache over Microsoft's Redis <c>IDistributedCache</c> (no backplane: one process).</summary>
    public static FusionCache FusionOverRedis(string endPoint)
    {
        var cache = Fusion(autoClone: false);
        cache.SetupDistributedCache(MicrosoftRedis(endPoint), new FusionCacheSystemTextJsonSerializer());
        return cache;
    }

    /// <summary>Microsoft's HybridCache as <c>AddHybridCache()</c> registers it, over Redis
    /// (<c>AddStackExchangeRedisCache</c>) when <paramref name="redisEndPoint"/> is given, in memory only otherwise.</summary>
    public static ServiceProvider Microsoft(string? redisEndPoint)
    {
        var services = new ServiceCollection();
        if (redisEndPoint is not null)
        {
            services.AddStackExchangeRedisCache(options => options.Configuration = redisEndPoint);
        }

        services.AddHybridCache(options => options.DefaultEntryOptions = MicrosoftEntry(HybridCacheEntryFlags.None));
        return services.BuildServiceProvider();
    }

    /// <summary>Microsoft entry options with the common lifetime (its default is five minutes).</summary>
    public static HybridCacheEntryOptions MicrosoftEntry(HybridCacheEntryFlags flags) =>
        new() { Expiration = Duration, LocalCacheExpiration = Duration, Flags = flags };

    /// <summary>Microsoft's Redis <c>IDistributedCache</c> on its own connection.</summary>
    public static MsRedisCache MicrosoftRedis(string endPoint) => new(new MsRedisCacheOptions { Configuration = endPoint });
}
