using HybridCaching.Redis;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace HybridCaching.Hosting;

/// <summary>Reports the Redis level healthy when a PING through its connection answers.</summary>
/// <remarks>Registered by <see cref="Microsoft.Extensions.DependencyInjection.HybridCachingRedisBuilderExtensions.AddRedisHealthCheck"/>.
/// The PING is <see cref="RedisCache.PingAsync"/>, bounded by <see cref="RedisCacheOptions.OperationTimeout"/> (on a fresh
/// host it waits, bounded the same way, for the first connection). A cache keeps serving while Redis is down, so an
/// unhealthy Redis is worth an alert, not necessarily a restart.</remarks>
/// <param name="cache">The Redis level.</param>
public sealed class RedisHealthCheck(RedisCache cache) : IHealthCheck
{
    private readonly RedisCache _cache = cache ?? throw new ArgumentNullException(nameof(cache));

    /// <inheritdoc/>
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        try
        {
            var latency = await _cache.PingAsync(cancellationToken).ConfigureAwait(false);
            return HealthCheckResult.Healthy(
                "Redis answered PING.",
                new Dictionary<string, object> { ["latencyMs"] = latency.TotalMilliseconds });
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, "Redis did not answer PING: " + ex.Message, ex);
        }
    }
}
