using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace HybridCaching.Hosting;

/// <summary>Adds cache levels and <see cref="CacheFunc"/>s to a service collection; returned by
/// <see cref="HybridCachingServiceCollectionExtensions.AddHybridCaching(IServiceCollection, IConfiguration?)"/>.</summary>
/// <remarks>Every <see cref="CacheFunc"/> runs over the added level with the highest precedence (see
/// <see cref="AddLevel"/>). Everything is a singleton; <see cref="ILoggerFactory"/> and <see cref="TimeProvider"/> come
/// from the container when registered there. Other packages (HybridCaching.Redis) add their levels with extension
/// methods over the public members.</remarks>
public sealed class HybridCachingBuilder
{
    /// <summary>The name (and service key) of the default <see cref="CacheFunc"/>.</summary>
    public const string DefaultName = "default";

    /// <summary>The <see cref="AddLevel"/> precedence of the memory level (<see cref="MemoryCache"/>).</summary>
    public const int MemoryPrecedence = 0;

    /// <summary>The <see cref="AddLevel"/> precedence of a shared level (the Redis level, <c>RedisCache</c>).</summary>
    public const int SharedPrecedence = 1;

    /// <summary>The <see cref="AddLevel"/> precedence of a level composed of others (the hybrid level, <see cref="HybridCache"/>).</summary>
    public const int HybridPrecedence = 2;

    private readonly SettingKeys? _settingKeys;

    internal HybridCachingBuilder(IServiceCollection services, IConfiguration? configuration)
    {
        Services = services;
        Configuration = configuration;
        _settingKeys = configuration is null ? null : SettingKeys.For(services, configuration);
        services.TryAddSingleton<ICacheAdapter>(sp =>
            sp.GetServices<AddedLevel>().MaxBy(level => level.Precedence)?.Resolve(sp)
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
        BindOptions("Memory", static (section, o) => section.Bind(o), configure)
            .Validate(o => o.MaxItems > 0, SettingPath("Memory:MaxItems") + " must be positive.")
            .Validate(o => o.MaxBytes > 0, SettingPath("Memory:MaxBytes") + " must be positive.")
            .Validate(o => o.MaxTtl > TimeSpan.Zero, SettingPath("Memory:MaxTtl") + " must be a positive TimeSpan (e.g. \"01:00:00\").");
        return AddLevel(MemoryPrecedence, sp =>
        {
            var o = sp.GetRequiredService<IOptions<MemoryLevelOptions>>().Value;
            return new MemoryCache(o.MaxItems, o.MaxBytes, o.MaxTtl, TimeProviderOf(sp));
        });
    }

    /// <summary>Adds a <see cref="CacheFunc"/> bound from <c>CacheFuncs:&lt;name&gt;</c> (<c>WaitFor</c>, <c>FreshFor</c>,
    /// <c>Ttl</c> as TimeSpan strings, <c>ReuseValues</c>), taking each key its section leaves out from
    /// <c>CacheFuncs:default</c>. The default one is resolvable as <see cref="CacheFunc"/>; every one as a keyed service
    /// under its name (<c>[FromKeyedServices("products")] CacheFunc</c>).</summary>
    /// <remarks>Resolving a keyed <see cref="CacheFunc"/> under a name never added (<c>GetKeyedService</c> included) throws
    /// an <see cref="InvalidOperationException"/> naming the added ones; a service whose every constructor asks for one
    /// fails the host's start the same way.</remarks>
    /// <param name="name">Its name: the service key and the <c>cache.name</c> tag of its metrics.</param>
    /// <param name="configure">Changes the settings after binding.</param>
    /// <returns>This builder.</returns>
    public HybridCachingBuilder AddCacheFunc(string name = DefaultName, Action<CacheFuncOptions>? configure = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        const string Section = SettingKeys.CacheFuncs + ":";
        var added = CacheFuncNames.Add(Services, name);
        if (Configuration is not null && name != DefaultName && added)
        {
            var defaults = Configuration.GetSection(Section + DefaultName);
            Services.AddOptions<CacheFuncOptions>(name).Configure(o => defaults.Bind(o));
            _settingKeys!.Add<CacheFuncOptions>(Section + DefaultName);
        }

        BindOptions(Section + name, static (section, o) => section.Bind(o), configure, name).PostConfigure(o => o.Name = name);
        if (added)
        {
            Services.AddSingleton<IValidateOptions<CacheFuncOptions>>(new DurationsValidation(name, SettingPath(Section + name + ":")));
        }

        Services.TryAddKeyedSingleton(name, (sp, _) =>
        {
            var options = sp.GetRequiredService<IOptionsMonitor<CacheFuncOptions>>().Get(name);
            options.TimeProvider ??= TimeProviderOf(sp);
            options.Logger ??= LoggerOf<CacheFunc>(sp);
            return new CacheFunc(sp.GetRequiredService<ICacheAdapter>(), options);
        });
        if (name == DefaultName)
        {
            Services.TryAddSingleton(sp => sp.GetRequiredKeyedService<CacheFunc>(DefaultName));
        }

        return this;
    }

    /// <summary>Adds a cache level as a singleton of its own type (unless one is registered already); the added level with
    /// the highest precedence is the <see cref="ICacheAdapter"/> the <see cref="CacheFunc"/>s and HTTP caches run over.</summary>
    /// <typeparam name="TLevel">The level's type, under which it is registered.</typeparam>
    /// <param name="precedence"><see cref="MemoryPrecedence"/>, <see cref="SharedPrecedence"/> or <see cref="HybridPrecedence"/>.</param>
    /// <param name="factory">Creates the level (once, on first use).</param>
    /// <returns>This builder.</returns>
    public HybridCachingBuilder AddLevel<TLevel>(int precedence, Func<IServiceProvider, TLevel> factory)
        where TLevel : class, ICacheAdapter
    {
        ArgumentNullException.ThrowIfNull(factory);
        Services.TryAddSingleton(factory);
        if (!Services.Any(d => !d.IsKeyedService && d.ImplementationInstance is AddedLevel level && level.Type == typeof(TLevel)))
        {
            Services.AddSingleton(new AddedLevel(typeof(TLevel), precedence, sp => sp.GetRequiredService<TLevel>()));
        }

        return this;
    }

    /// <summary>Registers options bound from a section of <see cref="Configuration"/> (and rebound when it changes), then
    /// changed by <paramref name="configure"/>, and validated when the host starts.</summary>
    /// <remarks>The section's keys are checked at start too: each must name a settable property of
    /// <typeparamref name="TOptions"/> (a misspelled key fails, naming the nearest one), and a TimeSpan must not be a bare
    /// number (<c>"30"</c> reads as 30 days). Pass <paramref name="bind"/> as <c>static (section, o) =&gt; section.Bind(o)</c>:
    /// with <c>EnableConfigurationBindingGenerator</c> it is bound by generated code (trimming and native AOT safe).</remarks>
    /// <typeparam name="TOptions">The options type.</typeparam>
    /// <param name="section">The section's key under <see cref="Configuration"/> (e.g. <c>Redis</c>).</param>
    /// <param name="bind">Binds the section to the options.</param>
    /// <param name="configure">Changes the options after binding.</param>
    /// <param name="optionsName">The options' name.</param>
    /// <returns>The options builder, to add validations to (name settings in their messages with <see cref="SettingPath"/>).</returns>
    public OptionsBuilder<TOptions> BindOptions<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicParameterlessConstructor | DynamicallyAccessedMemberTypes.PublicProperties)] TOptions>(
        string section, Action<IConfiguration, TOptions> bind, Action<TOptions>? configure = null, string? optionsName = null)
        where TOptions : class
    {
        ArgumentNullException.ThrowIfNull(section);
        ArgumentNullException.ThrowIfNull(bind);
        optionsName ??= Options.DefaultName;
        var builder = Services.AddOptions<TOptions>(optionsName);
        if (Configuration is not null)
        {
            var settings = Configuration.GetSection(section);
            _settingKeys!.Add<TOptions>(section);
            builder.Configure(o => bind(settings, o));
            Services.AddSingleton<IOptionsChangeTokenSource<TOptions>>(new ConfigurationChangeTokenSource<TOptions>(optionsName, settings));
        }

        if (configure is not null)
        {
            builder.Configure(configure);
        }

        return builder.ValidateOnStart();
    }

    /// <summary>The full configuration path of a setting, as validation messages name it: <paramref name="relative"/>
    /// under the path of <see cref="Configuration"/> (<c>Redis:Prefix</c> → <c>HybridCaching:Redis:Prefix</c>).</summary>
    /// <param name="relative">The setting's path under <see cref="Configuration"/>.</param>
    /// <returns>The full path.</returns>
    public string SettingPath(string relative)
        => Configuration is IConfigurationSection section ? section.Path + ":" + relative : relative;

    /// <summary>The <see cref="TimeProvider"/> a level runs on: the container's, else <see cref="TimeProvider.System"/>.</summary>
    /// <param name="services">The app's service provider.</param>
    /// <returns>The time provider.</returns>
    public static TimeProvider TimeProviderOf(IServiceProvider services)
        => services.GetService<TimeProvider>() ?? TimeProvider.System;

    /// <summary>A logger for <typeparamref name="T"/> from the container's <see cref="ILoggerFactory"/>, else one that
    /// logs nothing.</summary>
    /// <typeparam name="T">The type whose name is the logger's category.</typeparam>
    /// <param name="services">The app's service provider.</param>
    /// <returns>The logger.</returns>
    public static ILogger LoggerOf<T>(IServiceProvider services)
        => services.GetService<ILoggerFactory>()?.CreateLogger<T>() ?? (ILogger)NullLogger.Instance;

    // An added level: the ICacheAdapter is the one with the highest precedence.
    private sealed record AddedLevel(Type Type, int Precedence, Func<IServiceProvider, ICacheAdapter> Resolve);

    // The durations' rule (CacheDurations) at start, each failure naming its setting's path.
    private sealed class DurationsValidation(string name, string settingPrefix) : IValidateOptions<CacheFuncOptions>
    {
        public ValidateOptionsResult Validate(string? optionsName, CacheFuncOptions options)
            => optionsName != name ? ValidateOptionsResult.Skip
                : CacheDurations.Problems(options.WaitFor, options.FreshFor, options.Ttl, settingPrefix).ToList() is { Count: > 0 } problems
                    ? ValidateOptionsResult.Fail(problems)
                    : ValidateOptionsResult.Success;
    }
}
