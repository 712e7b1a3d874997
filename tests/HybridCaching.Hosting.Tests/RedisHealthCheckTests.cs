using HybridCaching.Redis;
using HybridCaching.Testing.Redis;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

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
            await using var provider = Provider(server.EndPoint + ",connectTimeout=2000,syncTimeout=2000,asyncTimeout=2000");
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
    public async Task CheckHealthAsync_FirstCheckWhileTheFirstConnectionIsMade_WaitsForItAndIsHealthy()
    {
        await using var server = await RedisServerFixture.StartAsync(new RedisServerOptions());
        // Held (SIGSTOP) while the host starts: the multiplexer's first connection cannot complete before it resumes.
        await server.PauseAsync();
        await using var provider = Provider(server.EndPoint + ",connectTimeout=30000", TimeSpan.FromSeconds(30));
        var redis = provider.GetRequiredService<RedisCache>();
        var registration = Assert.Single(provider.GetRequiredService<IOptions<HealthCheckServiceOptions>>().Value.Registrations);
        Assert.Null(redis.Multiplexer); // still making the first connection attempt

        var checking = registration.Factory(provider).CheckHealthAsync(new HealthCheckContext { Registration = registration });
        await server.ResumeAsync();
        var result = await checking.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(HealthStatus.Healthy, result.Status);
    }

    [Fact]
    public async Task CheckHealthAsync_HungServer_FailsWithinTheOperationTimeoutWhileRedisIsStillHung()
    {
        await using var server = await RedisServerFixture.StartAsync(new RedisServerOptions());
        // The client's own timeouts are far longer than the pause: only the cache's OperationTimeout bounds the PING.
        await using var provider = Provider(server.EndPoint + ",syncTimeout=120000,asyncTimeout=120000", TimeSpan.FromSeconds(1), HealthStatus.Degraded);
        var health = provider.GetRequiredService<HealthCheckService>();
        await RedisCli.WaitUntilAsync(async () => (await health.CheckHealthAsync()).Status == HealthStatus.Healthy, "Redis healthy", TimeSpan.FromSeconds(30));

        await server.PauseAsync();
        HealthReportEntry entry;
        try
        {
            var checking = health.CheckHealthAsync();
            var first = await Task.WhenAny(checking, Task.Delay(TimeSpan.FromSeconds(20)));
            Assert.True(first == checking, "the check returned while Redis was still hung (20 s guard)");
            entry = (await checking).Entries["hybridcaching-redis"];
        }
        finally
        {
            await server.ResumeAsync();
        }

        Assert.Equal(HealthStatus.Degraded, entry.Status);
        Assert.IsType<TimeoutException>(entry.Exception);
    }

    [Fact]
    public async Task AddRedisHealthCheck_NoServer_ReportsConfiguredFailureStatus()
    {
        await using var provider = Provider("127.0.0.1:1,abortConnect=false,connectTimeout=500", failureStatus: HealthStatus.Degraded);
        var report = await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        Assert.Equal(HealthStatus.Degraded, report.Entries["hybridcaching-redis"].Status);
    }

    // A host with the Redis level (over its own multiplexer) and its health check.
    private static ServiceProvider Provider(string configuration, TimeSpan? operationTimeout = null, HealthStatus failureStatus = HealthStatus.Unhealthy)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddHybridCaching()
            .AddRedis(o => o.Configuration = configuration, o => o.OperationTimeout = operationTimeout ?? o.OperationTimeout)
            .AddRedisHealthCheck(failureStatus: failureStatus);
        return services.BuildServiceProvider();
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
            // A generous operation timeout: on a loaded machine the default 500 ms can drop the write this test looks for
            // (a timed-out write is logged, not retried), and what is tested is which multiplexer the level uses.
            services.AddHybridCaching().AddRedis(configureCache: o =>
            {
                o.Prefix = "app:";
                o.OperationTimeout = TimeSpan.FromSeconds(10);
            }).AddCacheFunc();
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
