namespace HybridCaching.Hosting;

/// <summary>Settings of the memory level (<see cref="MemoryCache"/>), bound from the <c>Memory</c> section.</summary>
public sealed class MemoryLevelOptions
{
    /// <summary>The most entries kept.</summary>
    /// <value>Positive; default 10 000.</value>
    public long MaxItems { get; set; } = 10_000;

    /// <summary>The most bytes kept (values plus what decoded values are charged).</summary>
    /// <value>Positive; default 64 MiB.</value>
    public long MaxBytes { get; set; } = 64L << 20;

    /// <summary>The longest time an entry stays in memory, whatever TTL it is written with.</summary>
    /// <value>Positive; default 1 hour.</value>
    public TimeSpan MaxTtl { get; set; } = TimeSpan.FromHours(1);
}
