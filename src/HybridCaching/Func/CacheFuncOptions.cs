using HybridCaching.Serialization;
using Microsoft.Extensions.Logging;

namespace HybridCaching;

/// <summary>Settings of a <see cref="CacheFunc"/>.</summary>
public sealed class CacheFuncOptions
{
    /// <summary>How long a factory run (and every caller waiting on it) may take before a <see cref="TimeoutException"/>.</summary>
    /// <value>Positive; default 20 seconds.</value>
    public TimeSpan WaitFor { get; set; } = CacheDurations.Default.WaitFor;

    /// <summary>How long a computed value is fresh; a hit after that returns the value at once and refreshes it in the background.</summary>
    /// <value>Positive; default 1 minute. Longer than <see cref="Ttl"/>, values expire before they go stale (never served
    /// stale or refreshed): the <see cref="CacheFunc"/> logs a warning, and configuration refuses it at start.</value>
    public TimeSpan FreshFor { get; set; } = CacheDurations.Default.FreshFor;

    /// <summary>How long a computed value stays stored (a long TTL keeps serving stale values while the source is down).</summary>
    /// <value>Positive; default 1 hour.</value>
    public TimeSpan Ttl { get; set; } = CacheDurations.Default.Ttl;

    /// <summary>Turns values into bytes and back.</summary>
    /// <value>Default: <see cref="MessagePackCacheSerializer.Default"/>, readable by the Go original.</value>
    public ICacheSerializer? Serializer { get; set; }

    /// <summary>The clock for freshness and timeouts.</summary>
    /// <value>Default <see cref="TimeProvider.System"/>.</value>
    public TimeProvider? TimeProvider { get; set; }

    /// <summary>Whether a fresh hit on the memory level returns the value decoded by an earlier hit, for every type,
    /// instead of decoding the stored bytes again.</summary>
    /// <value>Default <see langword="false"/>: values of immutable types (string, primitives, enums, <see cref="DateTime"/>,
    /// <see cref="Guid"/> and the like, and types marked <c>[ImmutableObject(true)]</c>) are reused anyway; every other
    /// caller gets its own copy. Set it only when callers never modify what they get: they share one instance. A kept
    /// value counts against the memory level's byte bound: what decoding it allocated, an upper bound of what it holds
    /// (strings and value types without references are measured exactly).</value>
    public bool ReuseValues { get; set; }

    /// <summary>Where background failures (refresh, write, unreadable entries) are logged.</summary>
    /// <value>Default: none.</value>
    public ILogger? Logger { get; set; }

    /// <summary>The name this cache function's metrics and traces carry (tag <c>cache.name</c>), and its key when it is
    /// registered as a keyed service.</summary>
    /// <value>Not empty; default <c>"default"</c>.</value>
    public string Name { get; set; } = "default";

    /// <summary>The default <see cref="MaximumKeyLength"/>: 1,024 characters (as Microsoft's HybridCache).</summary>
    public const int DefaultMaximumKeyLength = 1024;

    /// <summary>The default <see cref="MaximumPayloadBytes"/>: 1 MiB (as Microsoft's HybridCache).</summary>
    public const int DefaultMaximumPayloadBytes = 1 << 20;

    /// <summary>The longest key that is cached. A call with a longer key runs its factory (once per key at a time in this
    /// process, without a lock across servers) and returns its value without storing it; the first such key is logged
    /// (a warning). <c>TryGetAsync</c> finds nothing under it, and <c>SetAsync</c> stores nothing.</summary>
    /// <value>Positive; default <see cref="DefaultMaximumKeyLength"/>.</value>
    public int MaximumKeyLength { get; set; } = DefaultMaximumKeyLength;

    /// <summary>The largest entry that is stored: the serialized value with its envelope, in bytes. A larger value is
    /// returned to its callers but not stored (<c>SetAsync</c> removes what the key held instead, so no older value is
    /// served); the first such value is logged (a warning).</summary>
    /// <value>Positive; default <see cref="DefaultMaximumPayloadBytes"/>. The HTTP handler and middleware lift it for the
    /// cache functions they create: they bound response bodies themselves.</value>
    public int MaximumPayloadBytes { get; set; } = DefaultMaximumPayloadBytes;

    /// <summary>The three durations as one value.</summary>
    internal CacheDurations Durations
    {
        get => new(WaitFor, FreshFor, Ttl);
        init => (WaitFor, FreshFor, Ttl) = value;
    }

    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(Name))
        {
            throw new ArgumentException("CacheFuncOptions.Name must not be empty.", nameof(Name));
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaximumKeyLength);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaximumPayloadBytes);
        Durations.Validate();
    }
}
