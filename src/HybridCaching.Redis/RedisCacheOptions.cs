namespace HybridCaching.Redis;

/// <summary>Settings of a <see cref="RedisCache"/>.</summary>
public sealed class RedisCacheOptions
{
    /// <summary>Prepended to every key (not to lock keys). Use the same prefix as Go services that share the entries.</summary>
    /// <value>Default empty.</value>
    public string Prefix { get; set; } = string.Empty;

    /// <summary>Prepended to a key to form its lock key (the <see cref="Prefix"/> is not applied to lock keys).</summary>
    /// <value>Default <c>!lock!</c>, as in the Go original.</value>
    public string LockPrefix { get; set; } = "!lock!";

    /// <summary>Skip the cross-server lock: <see cref="RedisCache.RaceAsync"/> only suppresses duplicates inside this process.</summary>
    /// <value>Default <see langword="false"/>.</value>
    public bool SkipLock { get; set; }

    /// <summary>
    /// Publish a notification when a race result is written, and let waiters subscribe to it, so they learn the result
    /// at once instead of at their next poll. Waiters keep polling as a fallback (for leaders that do not publish, such
    /// as the Go original).
    /// </summary>
    /// <value>Default <see langword="true"/>.</value>
    public bool NotifyWaiters { get; set; } = true;

    /// <summary>The delay before a waiter polls the lock again, given the number of polls so far.</summary>
    /// <value>Default a random 50–200 ms, as in the Go original.</value>
    public Func<int, TimeSpan> RetryDelay { get; set; } = static _ => TimeSpan.FromMilliseconds(Random.Shared.Next(50, 201));

    /// <summary>The clock for race deadlines and poll delays.</summary>
    /// <value>Default <see cref="TimeProvider.System"/>.</value>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    internal void Validate()
    {
        ArgumentNullException.ThrowIfNull(Prefix);
        ArgumentException.ThrowIfNullOrEmpty(LockPrefix);
        ArgumentNullException.ThrowIfNull(RetryDelay);
        ArgumentNullException.ThrowIfNull(TimeProvider);
        if (Prefix.Length > 0 && Prefix.StartsWith(LockPrefix, StringComparison.Ordinal))
        {
            throw new ArgumentException("Prefix must not start with LockPrefix: Clear would skip every key.", nameof(Prefix));
        }
    }
}
