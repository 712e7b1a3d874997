using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace HybridCaching.Redis;

// The Redis package's instrument, on a meter with the core's name ("HybridCaching"), so whoever listens to the library's
// meter by name (OpenTelemetry's AddMeter, a MeterListener) gets it too.
internal static class RedisTelemetry
{
    private static readonly Meter Meter = new("HybridCaching", typeof(RedisTelemetry).Assembly.GetName().Version?.ToString());

    private static readonly Histogram<double> Duration = Meter.CreateHistogram<double>(
        "hybridcaching.redis.duration", "s", "How long Redis operations took (tag operation; error.type on failure).");

    // Nothing is recorded without an operation (renew and delete are not measured).
    public static void Record(string? operation, long startedTimestamp, Exception? failure)
    {
        if (operation is null || !Duration.Enabled)
        {
            return;
        }

        var tags = new TagList { { "operation", operation } };
        if (failure is not null)
        {
            tags.Add("error.type", failure.GetType().FullName);
        }

        Duration.Record(Stopwatch.GetElapsedTime(startedTimestamp).TotalSeconds, tags);
    }
}
