using HybridCaching.Redis.Client;
using HybridCaching.Testing.Redis;

namespace HybridCaching.Redis.Tests;

/// <summary>Builds caches isolated from the other tests sharing the server: unique value and lock prefixes.</summary>
internal static class RedisTestCache
{
    public static RedisConnectionOptions Options(RedisServerFixture server) => new()
    {
        Host = server.Host,
        Port = server.Port,
        ReconnectMinDelay = TimeSpan.FromMilliseconds(50),
        ReconnectMaxDelay = TimeSpan.FromMilliseconds(500),
    };

    public static RedisCacheOptions CacheOptions(string? scope = null)
    {
        scope ??= Guid.NewGuid().ToString("N")[..12];
        // Tests of coordination must not depend on the fault detector on a loaded CI machine; the fault tests set the
        // operation timeout they exercise.
        return new RedisCacheOptions { Prefix = $"t:{scope}:", LockPrefix = $"!lock!{scope}:", OperationTimeout = TimeSpan.FromSeconds(10) };
    }

    /// <summary>A cache on its own connection, which it disposes.</summary>
    public static async Task<RedisCache> CreateAsync(RedisServerFixture server, RedisCacheOptions? options = null)
        => new(await RedisConnection.ConnectAsync(Options(server)), options ?? CacheOptions(), ownsConnection: true);
}
