using HybridCaching.Testing.Redis;
using StackExchange.Redis;

namespace HybridCaching.Redis.Tests;

/// <summary>Builds caches isolated from the other tests sharing a server: unique value and lock prefixes.</summary>
internal static class RedisTestCache
{
    /// <summary>The configuration the tests use: fail fast while disconnected, reconnect quickly.</summary>
    public static ConfigurationOptions Configuration(string endPoints)
    {
        var options = ConfigurationOptions.Parse(endPoints);
        options.AbortOnConnectFail = false;
        options.BacklogPolicy = BacklogPolicy.FailFast;
        options.AllowAdmin = true;
        options.ConnectTimeout = 5000;
        options.ReconnectRetryPolicy = new LinearRetry(200);
        return options;
    }

    public static ConfigurationOptions Configuration(RedisServerFixture server) => Configuration(server.EndPoint);

    public static RedisCacheOptions CacheOptions(string? scope = null)
    {
        scope ??= Guid.NewGuid().ToString("N")[..12];

        // Tests of coordination must not depend on the fault detector on a loaded CI machine; the fault tests set the
        // operation timeout they exercise.
        return new RedisCacheOptions { Prefix = $"t:{scope}:", LockPrefix = $"!lock!{scope}:", OperationTimeout = TimeSpan.FromSeconds(10) };
    }

    /// <summary>The lock key of <paramref name="key"/> (SPEC §6): <c>LockPrefix + Prefix + key</c>, or Go's
    /// <c>LockPrefix + key</c> with <see cref="RedisCacheOptions.UnprefixedLockKeys"/>.</summary>
    public static string LockKey(this RedisCacheOptions options, string key)
        => options.UnprefixedLockKeys ? options.LockPrefix + key : options.LockPrefix + options.Prefix + key;

    /// <summary>A cache on its own connected multiplexer, which it disposes.</summary>
    public static Task<RedisCache> CreateAsync(RedisServerFixture server, RedisCacheOptions? options = null)
        => CreateAsync(Configuration(server), options);

    /// <summary>A cache on its own connected multiplexer, which it disposes.</summary>
    public static async Task<RedisCache> CreateAsync(ConfigurationOptions configuration, RedisCacheOptions? options = null)
        => new(Task.FromResult<IConnectionMultiplexer>(await ConnectionMultiplexer.ConnectAsync(configuration)), options ?? CacheOptions(), logger: null, ownsMultiplexer: true, TimeSpan.Zero);

    /// <summary>The database of a cache's multiplexer, for raw commands.</summary>
    public static IDatabase Db(this RedisCache cache) => cache.Multiplexer!.GetDatabase();
}
