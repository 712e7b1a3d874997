using Microsoft.Extensions.Logging;

namespace HybridCaching.AspNetCore;

/// <summary>The middleware's log messages.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 4000, EventName = "ResponseRefreshSkipped", Level = LogLevel.Debug, Message = "Background refresh of '{Key}' skipped: no GET request was recorded to repeat.")]
    public static partial void RefreshSkipped(ILogger logger, string key);

    [LoggerMessage(EventId = 4001, EventName = "ResponseRefreshCallbackFailed", Level = LogLevel.Warning, Message = "An OnCompleted callback of the background refresh of '{Path}' failed.")]
    public static partial void OnCompletedFailed(ILogger logger, string path, Exception exception);

    [LoggerMessage(EventId = 4002, EventName = "ResponseHeadLookupFailed", Level = LogLevel.Warning, Message = "Cache lookup of '{Key}' for a HEAD request failed; the request passes through uncached.")]
    public static partial void LookupFailed(ILogger logger, string key, Exception exception);
}
