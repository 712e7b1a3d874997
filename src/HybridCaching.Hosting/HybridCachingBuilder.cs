using System.Diagnostics.CodeAnalysis;
using HybridCaching.Redis;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace HybridCaching.Hosting;

/// <summary>Adds cache levels and <see cref="CacheFunc"/>s to a service collection; returned by
/// <see cref="HybridCachingServiceCollectionExtensions.AddHybridCaching(IServiceCollection, IConfiguration?)"/>.</summary>
/// <remarks>The <see cref="ICacheAdapter"/> every <see cref="CacheFunc"/> runs over is the hybrid level when added,
/// else Redis, else memory. Everything is a singleton; <see cref="ILoggerFactory"/> and <see cref="TimeProvider"/>
/// come from the container when registered there.</remarks>
public sealed class HybridCachingBuilder
{
    /// <summary>The name (and service key) of the default <see cref="CacheFunc"/>.</summary>
    public const string DefaultName = "default";

    internal HybridCachingBuilder(IServiceCollection services, IConfiguration? configuration)
    {
        Services = services;
        Configuration = configuration;
        services.TryAddSingleton<ICacheAdapter>(sp =>
            sp.GetService<HybridCache>() ?? (ICacheAdapter?)sp.GetService<RedisCache>() ?? sp.GetService<MemoryCache>()
            ?? throw new InvalidOperationException("No cache level is registered: call AddMemory(), AddRedis() or AddHybrid() on AddHybridCaching()."));
    }

    /// <summary>The services being configured.</summary>
    public IServiceCollection Services { get; }

    /// <summary>The configuration section settings bind from (<c>Memory</c>, <c>Redis</c>, <c>CacheFuncs:&lt;name&gt;</c>);
    /// null when nothing binds from configuration.</summary>
    public IConfiguration? Configuration { get; }

    /// <summary>Adds the memory level (<see cref="MemoryCache"/>), bound from <c>Memory</c>.</summary>
    /// <param name="configure">Changes the settings after binding.</param>
    /// <returns>This builder.</returns>
    public HybridCachingBuilder AddMemory(Action<MemoryLevelOptions>? configure = null)
    {
        Bind(Options.DefaultName, "Memory", configure, static (section, o) => section.Bind(o)).Validate(o => o.MaxItems > 0, Setting("Memory:MaxItems") + " must be positive.")
            .Validate(o => o.MaxBytes > 0, Setting("Memory:MaxBytes") + " must be positive.")
            .Validate(o => o.MaxTtl > TimeSpan.Zero, Setting("Memory:MaxTtl") + " must be a positive TimeSpan (e.g. \"01:00:00\").");
        Services.TryAddSingleton(sp =>
        {
            var o = sp.GetRequiredService<IOptions<MemoryLevelOptions>>().Value;
            return new MemoryCache(o.MaxItems, o.MaxBytes, o.MaxTtl, TimeOf(sp));
        });
        return this;
    }

    /// <summary>Adds the Redis level (<see cref="RedisCache"/>), bound from <c>Redis</c>: over
    /// <c>Redis:Configuration</c> when set, else over the <see cref="IConnectionMultiplexer"/> registered in the container.</summary>
    /// <param name="configure">Changes the connection settings after binding.</param>
    /// <param name="configureCache">Changes the cache settings (prefix, timeouts) after binding.</param>
    /// <returns>This builder.</returns>
    public HybridCachingBuilder AddRedis(Action<RedisLevelOptions>? configure = null, Action<RedisCacheOptions>? configureCache = null)
    {
        Bind(Options.DefaultName, "Redis", configure, static (section, o) => section.Bind(o)).Validate<IServiceProviderIsService>(
            (o, isService) => !string.IsNullOrWhiteSpace(o.Configuration) || isService.IsService(typeof(IConnectionMultiplexer)),
            Setting("Redis:Configuration") + " is empty and no IConnectionMultiplexer is registered: set one of them.");
        Bind(Options.DefaultName, "Redis", configureCache, static (section, o) => section.Bind(o))
            .Validate(o => o.OperationTimeout > TimeSpan.Zero || o.OperationTimeout == Timeout.InfiniteTimeSpan, Setting("Redis:OperationTimeout") + " must be a positive TimeSpan (e.g. \"00:00:00.500\").")
            .Validate(o => !string.IsNullOrEmpty(o.LockPrefix), Setting("Redis:LockPrefix") + " must not be empty.")
            .Validate(o => o.Database is null or >= 0, Setting("Redis:Database") + " must not be negative.");
        Services.TryAddSingleton(sp =>
        {
            var connection = sp.GetRequiredService<IOptions<RedisLevelOptions>>().Value;
            var options = sp.GetRequiredService<IOptions<RedisCacheOptions>>().Value;
            options.TimeProvider = TimeOf(sp);
            var logger = LoggerOf<RedisCache>(sp);
            return string.IsNullOrWhiteSpace(connection.Configuration)
                ? new RedisCache(sp.GetRequiredService<IConnectionMultiplexer>(), options, logger)
                : new RedisCache(connection.Configuration, options, logger);
        });
        return this;
    }

    /// <summary>Adds the hybrid level (<see cref="HybridCache"/>): Redis upstream, memory downstream; adds those two
    /// levels when not added yet.</summary>
    /// <returns>This builder.</returns>
    public HybridCachingBuilder AddHybrid()
    {
        if (!Services.Any(d => d.ServiceType == typeof(MemoryCache)))
        {
            AddMemory();
        }

        if (!Services.Any(d => d.ServiceType == typeof(RedisCache)))
        {
            AddRedis();
        }

        Services.TryAddSingleton(sp => new HybridCache(
            sp.GetRequiredService<RedisCache>(), sp.GetRequiredService<MemoryCache>(), LoggerOf<HybridCache>(sp), TimeOf(sp)));
        return this;
    }

    /// <summary>Adds a <see cref="CacheFunc"/> bound from <c>CacheFuncs:&lt;name&gt;</c> (<c>WaitFor</c>, <c>FreshFor</c>,
    /// <c>Ttl</c> as TimeSpan strings, <c>ReuseValues</c>). The default one is resolvable as <see cref="CacheFunc"/>; every
    /// one, the default included, as a keyed service under its name (<c>[FromKeyedServices("products")] CacheFunc</c>).</summary>
    /// <param name="name">Its name: the service key and the <c>cache.name</c> tag of its metrics.</param>
    /// <param name="configure">Changes the settings after binding.</param>
    /// <returns>This builder.</returns>
    public HybridCachingBuilder AddCacheFunc(string name = DefaultName, Action<CacheFuncOptions>? configure = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Bind(name, "CacheFuncs:" + name, configure, static (section, o) => section.Bind(o)).PostConfigure(o => o.Name = name);
        Services.AddSingleton<IValidateOptions<CacheFuncOptions>>(new DurationsValidation(name, Setting("CacheFuncs:" + name + ":")));
        Services.TryAddKeyedSingleton(name, (sp, _) =>
        {
            var options = sp.GetRequiredService<IOptionsMonitor<CacheFuncOptions>>().Get(name);
            options.TimeProvider ??= TimeOf(sp);
            options.Logger ??= LoggerOf<CacheFunc>(sp);
            return new CacheFunc(sp.GetRequiredService<ICacheAdapter>(), options);
        });
        if (name == DefaultName)
        {
            Services.TryAddSingleton(sp => sp.GetRequiredKeyedService<CacheFunc>(DefaultName));
        }

        return this;
    }

    /// <summary>Adds a health check of the Redis level (a PING through its connection) to the app's health checks.</summary>
    /// <remarks>It needs the Redis level (<see cref="AddRedis"/> or <see cref="AddHybrid"/>, before or after this call):
    /// without it the host fails at start, naming the fix.</remarks>
    /// <param name="name">The check's name.</param>
    /// <param name="failureStatus">What a failed check reports.</param>
    /// <param name="tags">Tags to filter checks by.</param>
    /// <returns>This builder.</returns>
    public HybridCachingBuilder AddRedisHealthCheck(string name = "hybridcaching-redis", HealthStatus failureStatus = HealthStatus.Unhealthy, IEnumerable<string>? tags = null)
    {
        Services.AddHealthChecks().Add(new HealthCheckRegistration(
            name, sp => new RedisHealthCheck(sp.GetRequiredService<RedisCache>()), failureStatus, tags));
        Services.AddOptions<HealthCheckServiceOptions>()
            .Validate<IServiceProviderIsService>(
                (_, isService) => isService.IsService(typeof(RedisCache)),
                $"The health check '{name}' (AddRedisHealthCheck) checks the Redis level, which is not registered: call AddRedis() or AddHybrid() on AddHybridCaching(), or remove AddRedisHealthCheck().")
            .ValidateOnStart();
        return this;
    }

    // The durations' rule (CacheDurations) at start, each failure naming its setting's path.
    private sealed class DurationsValidation(string name, string settingPrefix) : IValidateOptions<CacheFuncOptions>
    {
        public ValidateOptionsResult Validate(string? optionsName, CacheFuncOptions options)
            => optionsName != name ? ValidateOptionsResult.Skip
                : CacheDurations.Problems(options.WaitFor, options.FreshFor, options.Ttl, settingPrefix).ToList() is { Count: > 0 } problems
                    ? ValidateOptionsResult.Fail(problems)
                    : ValidateOptionsResult.Success;
    }

    private static TimeProvider TimeOf(IServiceProvider sp) => sp.GetService<TimeProvider>() ?? TimeProvider.System;

    private static ILogger LoggerOf<T>(IServiceProvider sp)
        => sp.GetService<ILoggerFactory>()?.CreateLogger<T>() ?? (ILogger)NullLogger.Instance;

    // The full configuration path of a setting, as the validation messages name it.
    private string Setting(string relative)
        => Configuration is IConfigurationSection section ? section.Path + ":" + relative : relative;

    // Options named optionsName, bound from the section key (reloaded when it changes), then configured and validated at
    // start. bind is a lambda at each call site, with the options type known there, so the configuration binding source
    // generator writes the binding code (no reflection: trimming and native AOT safe).
    private OptionsBuilder<TOptions> Bind<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicParameterlessConstructor)] TOptions>(
        string optionsName, string key, Action<TOptions>? configure, Action<IConfiguration, TOptions> bind)
        where TOptions : class
    {
        var builder = Services.AddOptions<TOptions>(optionsName);
        if (Configuration is not null)
        {
            var section = Configuration.GetSection(key);
            builder.Configure(o => bind(section, o));
            Services.AddSingleton<IOptionsChangeTokenSource<TOptions>>(new ConfigurationChangeTokenSource<TOptions>(optionsName, section));
        }

        if (configure is not null)
        {
            builder.Configure(configure);
        }

        return builder.ValidateOnStart();
    }
}
