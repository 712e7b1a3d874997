using HybridCaching.Redis;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace HybridCaching.Hosting;

/// <summary>Reports the Redis level healthy when a PING through its connection answers.</summary>
/// <remarks>Registered by <see cref="Microsoft.Extensions.DependencyInjection.HybridCachingRedisBuilderExtensions.AddRedisHealthCheck"/>. The PING is
/// <see cref="RedisCache.PingAsync"/>: bounded like every round trip of the cache by
/// <see cref="RedisCacheOptions.OperationTimeout"/>, and on a fresh host it waits (bounded the same way) for the first
/// connection rather than reporting it as a failure. A cache over Redis keeps serving (from memory, or by running the
/// factory) while Redis is down, so an unhealthy Redis is worth an alert, not necessarily a restart.</remarks>
public sealed class RedisHealthCheck : IHealthCheck
{
    private readonly RedisCache _cache;

    /// <summary>Creates the check.</summary>
    /// <param name="cache">The Redis level.</param>
    public RedisHealthCheck(RedisCache cache)
    {
        ArgumentNullException.ThrowIfNull(cache);
        _cache = cache;
    }

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
