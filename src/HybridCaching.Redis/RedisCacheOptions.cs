namespace HybridCaching.Redis;

/// <summary>Settings of a <see cref="RedisCache"/>.</summary>
public sealed class RedisCacheOptions
{
    /// <summary>Prepended to every key; lock keys are <see cref="LockPrefix"/> + prefix + key (see
    /// <see cref="UnprefixedLockKeys"/>). Caches with different prefixes on one Redis never see each other's values or race
    /// results. Use the same prefix as Go services that share the entries.</summary>
    /// <remarks><see cref="RedisCache.ClearAsync"/> refuses a prefix that ends in a letter or digit (<c>tenant1</c> would
    /// also clear <c>tenant10</c>): end it with a separator such as <c>:</c>.</remarks>
    /// <value>Default empty.</value>
    public string Prefix { get; set; } = string.Empty;

    /// <summary>Prepended to the prefixed key to form its lock key, which holds a running race and its result.</summary>
    /// <value>Default <c>!lock!</c>, as in the Go original.</value>
    public string LockPrefix { get; set; } = "!lock!";

    /// <summary>Form lock keys as the Go original does, <see cref="LockPrefix"/> + key, without <see cref="Prefix"/>: turn
    /// it on when .NET and Go services share entries under a non-empty prefix, so that they honour each other's locks.</summary>
    /// <remarks>Caches that differ only by <see cref="Prefix"/> then share lock keys: a miss on one can receive a run's
    /// result from another (another prefix's value) within the suppression window (2 s from CacheFunc), and Clear drops
    /// the others' recent race results. Give each such cache its own <see cref="LockPrefix"/>.</remarks>
    /// <value>Default <see langword="false"/>.</value>
    public bool UnprefixedLockKeys { get; set; }

    /// <summary>The Redis database to use (<c>SELECT</c>); must be 0 on a cluster.</summary>
    /// <value>Default <see langword="null"/>: the multiplexer's default database.</value>
    public int? Database { get; set; }

    /// <summary>Skip the cross-server lock: <see cref="RedisCache.RaceAsync"/> runs the work at once, so duplicates are
    /// suppressed only inside each process (by <see cref="CacheFunc"/>'s single-flight).</summary>
    /// <value>Default <see langword="false"/>.</value>
    public bool SkipLock { get; set; }

    /// <summary>Publish a notification when a race result is written, and let waiters subscribe to it, so they learn the
    /// result at once; they keep polling as a fallback (for leaders that do not publish, such as the Go original's).</summary>
    /// <value>Default <see langword="true"/>.</value>
    public bool NotifyWaiters { get; set; } = true;

    /// <summary>The delay before a waiter polls the lock again, given the number of polls so far.</summary>
    /// <value>Default a random 50–200 ms, as in the Go original.</value>
    public Func<int, TimeSpan> RetryDelay { get; set; } = static _ => TimeSpan.FromMilliseconds(Random.Shared.Next(50, 201));

    /// <summary>How long one Redis round trip may take before it counts as "Redis cannot answer": Get/Fetch/Set/Delete then
    /// fail with a <see cref="TimeoutException"/> (CacheFunc and HybridCache treat that as a miss) and a race runs its work
    /// here. The calls that server serves then fail at once until it answers a <c>PING</c>: a hung server costs one
    /// timeout, not one per call.</summary>
    /// <value>Default 500 ms. Raise it for values of many megabytes on slow links.</value>
    public TimeSpan OperationTimeout { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Let <see cref="RedisCache.ClearAsync"/> run with an empty <see cref="Prefix"/>, deleting every key of the
    /// database except lock keys; without it, such a Clear throws <see cref="InvalidOperationException"/>.</summary>
    /// <value>Default <see langword="false"/>.</value>
    public bool AllowClearingWholeDatabase { get; set; }

    /// <summary>How <see cref="HybridCache"/> instances over this cache (same prefix, any servers) drop their memory copies
    /// when one of them writes or removes a key. See docs/architecture.md (consistency and cost).</summary>
    /// <value>Default <see cref="RedisBackplaneMode.PubSub"/>.</value>
    public RedisBackplaneMode Backplane { get; set; } = RedisBackplaneMode.PubSub;

    /// <summary>How long the backplane gathers announced keys before publishing them in one message; zero publishes
    /// one message per key.</summary>
    /// <value>Default 2 ms.</value>
    public TimeSpan BackplaneCoalesceWindow { get; set; } = TimeSpan.FromMilliseconds(2);

    /// <summary>The clock for race deadlines and poll delays.</summary>
    /// <value>Default <see cref="TimeProvider.System"/>.</value>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    internal RedisCacheOptions Snapshot() => (RedisCacheOptions)MemberwiseClone();

    internal void Validate()
    {
        ArgumentNullException.ThrowIfNull(Prefix);
        ArgumentException.ThrowIfNullOrEmpty(LockPrefix);
        ArgumentNullException.ThrowIfNull(RetryDelay);
        ArgumentNullException.ThrowIfNull(TimeProvider);
        CacheArgument.ThrowIfNotPositive(OperationTimeout, nameof(OperationTimeout));
        if (!Enum.IsDefined(Backplane))
        {
            throw new ArgumentOutOfRangeException(nameof(Backplane), Backplane, "Unknown backplane mode.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(BackplaneCoalesceWindow, TimeSpan.Zero, nameof(BackplaneCoalesceWindow));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(BackplaneCoalesceWindow, TimeSpan.FromSeconds(1), nameof(BackplaneCoalesceWindow));
        ArgumentOutOfRangeException.ThrowIfNegative(Database ?? 0, nameof(Database));

        if (Prefix.Length > 0 && Prefix.StartsWith(LockPrefix, StringComparison.Ordinal))
        {
            throw new ArgumentException("Prefix must not start with LockPrefix: Clear would skip every key.", nameof(Prefix));
        }
    }
}
