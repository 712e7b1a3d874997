using HybridCaching;
using HybridCaching.Hosting;
using HybridCaching.Redis;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the Redis and hybrid levels and the Redis health check to <c>AddHybridCaching()</c>.</summary>
public static class HybridCachingRedisBuilderExtensions
{
    /// <summary>Adds the Redis level (<see cref="RedisCache"/>), bound from <c>Redis</c>: over
    /// <c>Redis:Configuration</c> when set, else over the <see cref="IConnectionMultiplexer"/> registered in the container.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="configure">Changes the connection settings after binding.</param>
    /// <param name="configureCache">Changes the cache settings (prefix, timeouts) after binding.</param>
    /// <returns>The builder.</returns>
    public static HybridCachingBuilder AddRedis(
        this HybridCachingBuilder builder, Action<RedisLevelOptions>? configure = null, Action<RedisCacheOptions>? configureCache = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.BindOptions("Redis", static (section, o) => section.Bind(o), configure).Validate<IServiceProviderIsService>(
            (o, isService) => !string.IsNullOrWhiteSpace(o.Configuration) || isService.IsService(typeof(IConnectionMultiplexer)),
            builder.SettingPath("Redis:Configuration") + " is empty and no IConnectionMultiplexer is registered: set one of them.");
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RedisLevelOptions>>(
            new RedisConfigurationValidation(builder.SettingPath("Redis:Configuration"))));
        builder.BindOptions("Redis", static (section, o) => section.Bind(o), configureCache)
            .Validate(
                o => o.OperationTimeout > TimeSpan.Zero || o.OperationTimeout == Timeout.InfiniteTimeSpan,
                builder.SettingPath("Redis:OperationTimeout") + " must be a positive TimeSpan (e.g. \"00:00:00.500\").")
            .Validate(o => !string.IsNullOrEmpty(o.LockPrefix), builder.SettingPath("Redis:LockPrefix") + " must not be empty.")
            .Validate(o => o.Database is null or >= 0, builder.SettingPath("Redis:Database") + " must not be negative.");
        return builder.AddLevel(HybridCachingBuilder.SharedPrecedence, sp =>
        {
            var connection = sp.GetRequiredService<IOptions<RedisLevelOptions>>().Value;
            var options = sp.GetRequiredService<IOptions<RedisCacheOptions>>().Value;
            options.TimeProvider = HybridCachingBuilder.TimeProviderOf(sp);
            var logger = HybridCachingBuilder.LoggerOf<RedisCache>(sp);
            return string.IsNullOrWhiteSpace(connection.Configuration)
                ? new RedisCache(sp.GetRequiredService<IConnectionMultiplexer>(), options, logger)
                : new RedisCache(connection.Configuration, options, logger);
        });
    }

    /// <summary>Adds the hybrid level (<see cref="HybridCache"/>): Redis upstream, memory downstream (added when missing).</summary>
    /// <param name="builder">The builder.</param>
    /// <returns>The builder.</returns>
    public static HybridCachingBuilder AddHybrid(this HybridCachingBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (!builder.Services.Any(d => d.ServiceType == typeof(MemoryCache)))
        {
            builder.AddMemory();
        }

        if (!builder.Services.Any(d => d.ServiceType == typeof(RedisCache)))
        {
            builder.AddRedis();
        }

        return builder.AddLevel(HybridCachingBuilder.HybridPrecedence, sp => new HybridCache(
            sp.GetRequiredService<RedisCache>(),
            sp.GetRequiredService<MemoryCache>(),
            HybridCachingBuilder.LoggerOf<HybridCache>(sp),
            HybridCachingBuilder.TimeProviderOf(sp)));
    }

    /// <summary>Adds a health check of the Redis level (a PING through its connection) to the app's health checks.</summary>
    /// <remarks>Without the Redis level (<see cref="AddRedis"/> or <see cref="AddHybrid"/>, in any order) the host fails
    /// at start, naming the fix.</remarks>
    /// <param name="builder">The builder.</param>
    /// <param name="name">The check's name.</param>
    /// <param name="failureStatus">What a failed check reports.</param>
    /// <param name="tags">Tags to filter checks by.</param>
    /// <returns>The builder.</returns>
    public static HybridCachingBuilder AddRedisHealthCheck(
        this HybridCachingBuilder builder,
        string name = "hybridcaching-redis",
        HealthStatus failureStatus = HealthStatus.Unhealthy,
        IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(
            name, sp => new RedisHealthCheck(sp.GetRequiredService<RedisCache>()), failureStatus, tags));
        builder.Services.AddOptions<HealthCheckServiceOptions>()
            .Validate<IServiceProviderIsService>(
                (_, isService) => isService.IsService(typeof(RedisCache)),
                $"The health check '{name}' (AddRedisHealthCheck) checks the Redis level, which is not registered: call AddRedis() or AddHybrid() on AddHybridCaching(), or remove AddRedisHealthCheck().")
            .ValidateOnStart();
        return builder;
    }
}
