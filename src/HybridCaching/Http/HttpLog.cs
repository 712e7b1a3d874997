using Microsoft.Extensions.Logging;

namespace HybridCaching.Http;

/// <summary>The HTTP handler's log messages.</summary>
internal static partial class HttpLog
{
    [LoggerMessage(EventId = 2000, EventName = "ClientRefreshSkipped", Level = LogLevel.Debug, Message = "Background refresh of '{Key}' skipped: no request was recorded to repeat.")]
    public static partial void RefreshSkipped(ILogger logger, string key);

    [LoggerMessage(EventId = 2001, EventName = "ClientHeadLookupFailed", Level = LogLevel.Warning, Message = "Cache lookup of '{Key}' for a HEAD request failed; the request is sent to the origin.")]
    public static partial void LookupFailed(ILogger logger, string key, Exception exception);
}
