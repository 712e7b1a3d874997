namespace HybridCaching.Hosting;

/// <summary>How the Redis level connects, bound from the <c>Redis</c> section (the rest of that section binds to
/// <see cref="HybridCaching.Redis.RedisCacheOptions"/>: <c>Prefix</c>, <c>LockPrefix</c>, <c>Database</c>,
/// <c>OperationTimeout</c>, <c>NotifyWaiters</c>, <c>SkipLock</c>).</summary>
public sealed class RedisLevelOptions
{
    /// <summary>A StackExchange.Redis configuration string (e.g. <c>localhost:6379,password=…</c>).</summary>
    /// <value>Default none: the <see cref="StackExchange.Redis.IConnectionMultiplexer"/> registered in the container is
    /// used, and the start fails when there is none. A string with no usable endpoint (<c>localhost:notaport</c>, or a
    /// <c>redis://</c> URI, which StackExchange.Redis does not read) fails the start too.</value>
    public string? Configuration { get; set; }
}
