using System.Diagnostics;

namespace HybridCaching;

// Telemetry: spans and factory-run metrics of this cache function (CacheTelemetry holds the instruments).
public sealed partial class CacheFunc
{
    // A failed (or late) cache read, which the call takes as a miss: counted, and logged as part of an outage (its start in
    // full, reminders, its end).
    private void ReadFailed(string key, Exception exception)
    {
        _failures.Failed("read", key, exception);
        CacheTelemetry.Count(CacheTelemetry.Errors, _tags, "operation", "read");
    }

    private void RecordFactoryRun(long started, string outcome)
    {
        CacheTelemetry.Count(CacheTelemetry.FactoryRuns, _tags, "outcome", outcome);
        if (CacheTelemetry.FactoryDuration.Enabled)
        {
            CacheTelemetry.FactoryDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, _tags.With("outcome", outcome));
        }
    }

    // A span of this cache function's work (null, and free, when nobody listens), linked to the caller's trace when
    // it does not run inside it (a background refresh).
    private Activity? StartActivity(string name, string key, ActivityContext link)
    {
        if (!CacheTelemetry.Source.HasListeners())
        {
            return null;
        }

        var links = link == default ? null : new[] { new ActivityLink(link) };
        var activity = CacheTelemetry.Source.StartActivity(name, ActivityKind.Internal, parentContext: default, links: links);
        activity?.SetTag(CacheTelemetry.CacheNameTag, _tags.CacheName.Value)
            .SetTag(CacheTelemetry.LevelTag, _tags.Level.Value)
            .SetTag("cache.key", key);
        return activity;
    }
}
