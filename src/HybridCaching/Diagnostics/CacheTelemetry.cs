using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;

namespace HybridCaching;

// The core's Meter and ActivitySource, both "HybridCaching", and their instruments (docs/observability.md; the Redis
// package has its own meter of that name). Every record method checks Instrument.Enabled first: with no listener the
// hit path records and allocates nothing.
internal static class CacheTelemetry
{
    public const string Name = "HybridCaching";

    public const string CacheNameTag = "cache.name";
    public const string LevelTag = "cache.level";

    private static readonly string? Version = typeof(CacheTelemetry).Assembly.GetName().Version?.ToString();

    public static readonly ActivitySource Source = new(Name, Version);
    public static readonly Meter Meter = new(Name, Version);

    public static readonly Counter<long> FreshHits = Meter.CreateCounter<long>("hybridcaching.hits.fresh", "{hit}", "Calls answered from the cache with a fresh value.");
    public static readonly Counter<long> StaleHits = Meter.CreateCounter<long>("hybridcaching.hits.stale", "{hit}", "Calls answered from the cache with a stale value (a background refresh follows).");
    public static readonly Counter<long> Misses = Meter.CreateCounter<long>("hybridcaching.misses", "{miss}", "Calls that found no readable value and went to the race.");
    public static readonly Counter<long> FactoryRuns = Meter.CreateCounter<long>("hybridcaching.factory.runs", "{run}", "Factory runs in this process (tag outcome: ok or failed).");
    public static readonly Histogram<double> FactoryDuration = Meter.CreateHistogram<double>("hybridcaching.factory.duration", "s", "How long factory runs took.");
    public static readonly Counter<long> Refreshes = Meter.CreateCounter<long>("hybridcaching.refreshes", "{refresh}", "Background refreshes (tag outcome: ok, skipped or failed).");
    public static readonly Counter<long> Waits = Meter.CreateCounter<long>("hybridcaching.waits", "{wait}", "Calls that waited on another caller's run (tag scope: process or servers).");
    public static readonly Histogram<double> WaitDuration = Meter.CreateHistogram<double>("hybridcaching.wait.duration", "s", "How long calls waited on another caller's run.");
    public static readonly Counter<long> Errors = Meter.CreateCounter<long>("hybridcaching.errors", "{error}", "Cache-level failures treated as misses or logged (tag operation: read, write, race).");

    public readonly struct CacheTags(string name, string level)
    {
        public KeyValuePair<string, object?> CacheName { get; } = new(CacheNameTag, name);

        public KeyValuePair<string, object?> Level { get; } = new(LevelTag, level);

        public TagList With(string key, string value) => new() { CacheName, Level, { key, value } };
    }

    // The type's name without "Cache", lower case (memory, hybrid, redis, distributedadapter...), else "custom".
    public static string LevelOf(ICacheAdapter cache)
        => cache.GetType().Name.Replace("Cache", string.Empty, StringComparison.Ordinal).ToLowerInvariant() is { Length: > 0 } level ? level : "custom";

    // With a key, one more tag (key, value). The check inlines into the hit path; the tag list is built out of line.
    public static void Count(Counter<long> counter, in CacheTags tags, string? key = null, string? value = null)
    {
        if (counter.Enabled)
        {
            Add(counter, tags, key, value);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Add(Counter<long> counter, in CacheTags tags, string? key, string? value)
        => counter.Add(1, key is null ? new TagList { tags.CacheName, tags.Level } : tags.With(key, value!));

    // A failure a hybrid cache served around; without cache.name: the level is shared by every CacheFunc over it.
    public static void CountError(string level, string operation)
    {
        if (Errors.Enabled)
        {
            Errors.Add(1, new KeyValuePair<string, object?>(LevelTag, level), new KeyValuePair<string, object?>("operation", operation));
        }
    }

    public static void RecordWait(string scope, TimeSpan waited)
    {
        var tag = new KeyValuePair<string, object?>("scope", scope);
        if (Waits.Enabled)
        {
            Waits.Add(1, tag);
        }

        if (WaitDuration.Enabled)
        {
            WaitDuration.Record(waited.TotalSeconds, tag);
        }
    }
}
