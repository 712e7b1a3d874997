using HybridCaching.Redis;
using HybridCaching.Testing.Redis;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace HybridCaching.Hosting.Tests;

[Trait("Category", "Redis")]
public sealed class RedisHealthCheckTests
{
    [Fact]
    public async Task CheckHealthAsync_RunningThenStoppedServer_HealthyThenUnhealthy()
    {
        var server = await RedisServerFixture.StartAsync(new RedisServerOptions());
        try
        {
            var services = new ServiceCollection();
            services.AddLogging();
            services.AddHybridCaching().AddRedis(o => o.Configuration = server.EndPoint + ",connectTimeout=2000,syncTimeout=2000,asyncTimeout=2000").AddRedisHealthCheck();
            await using var provider = services.BuildServiceProvider();
            var health = provider.GetRequiredService<HealthCheckService>();
            var redis = provider.GetRequiredService<RedisCache>();

            // The owned multiplexer connects in the background: wait for it (generous guard), then check.
            using (var guard = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
            {
                while (redis.Multiplexer is null)
                {
                    await Task.Delay(50, guard.Token);
                }
            }

            var healthy = await health.CheckHealthAsync();
            Assert.Equal(HealthStatus.Healthy, healthy.Entries["hybridcaching-redis"].Status);

            await server.KillAsync();
            var unhealthy = await health.CheckHealthAsync();
            Assert.Equal(HealthStatus.Unhealthy, unhealthy.Entries["hybridcaching-redis"].Status);
            Assert.Contains("PING", unhealthy.Entries["hybridcaching-redis"].Description, StringComparison.Ordinal);
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    [Fact]
    public async Task AddRedisHealthCheck_NoServer_ReportsConfiguredFailureStatus()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddHybridCaching().AddRedis(o => o.Configuration = "127.0.0.1:1,abortConnect=false,connectTimeout=500")
            .AddRedisHealthCheck(failureStatus: HealthStatus.Degraded);
        await using var provider = services.BuildServiceProvider();
        var report = await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        Assert.Equal(HealthStatus.Degraded, report.Entries["hybridcaching-redis"].Status);
    }
}

[Trait("Category", "Redis")]
public sealed class AppMultiplexerTests
{
    [Fact]
    public async Task AddRedis_NoConfigurationString_UsesTheAppsMultiplexer()
    {
        var server = await RedisServerFixture.StartAsync(new RedisServerOptions());
        try
        {
            await using var multiplexer = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(server.EndPoint);
            var services = new ServiceCollection();
            services.AddSingleton<StackExchange.Redis.IConnectionMultiplexer>(multiplexer);
            services.AddHybridCaching().AddRedis(configureCache: o => o.Prefix = "app:").AddCacheFunc();
            await using var provider = services.BuildServiceProvider();
            provider.GetRequiredService<Microsoft.Extensions.Options.IStartupValidator>().Validate();

            Assert.Same(multiplexer, provider.GetRequiredService<RedisCache>().Multiplexer);
            Assert.Equal("v", await provider.GetRequiredService<CacheFunc>().DoAsync("k", _ => Task.FromResult("v")));
            // The caller gets the value without waiting for the write to Redis, so wait for the key to appear.
            await RedisCli.WaitUntilAsync(() => multiplexer.GetDatabase().KeyExistsAsync("app:k"), "app:k written through the app's multiplexer", TimeSpan.FromSeconds(10));
        }
        finally
        {
            await server.DisposeAsync();
        }
    }
}
