using HybridCaching.Redis;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace HybridCaching.Hosting;

/// <summary>Reports the Redis level healthy when a PING through its connection answers.</summary>
/// <remarks>Registered by <see cref="HybridCachingBuilder.AddRedisHealthCheck"/>. A cache over Redis keeps serving
/// (from memory, or by running the factory) while Redis is down, so an unhealthy Redis is worth an alert, not
/// necessarily a restart.</remarks>
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
        var multiplexer = _cache.Multiplexer;
        if (multiplexer is null)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, "Redis: still making the first connection attempt.");
        }

        try
        {
            var latency = await multiplexer.GetDatabase().PingAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
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
