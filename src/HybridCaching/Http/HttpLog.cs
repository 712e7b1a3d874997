using Microsoft.Extensions.Logging;

namespace HybridCaching.Http;

/// <summary>The HTTP handler's log messages (event ids 2000-2999).</summary>
internal static partial class HttpLog
{
    [LoggerMessage(EventId = 2001, EventName = "HttpClientRefreshSkipped", Level = LogLevel.Debug, Message = "Background refresh of '{Key}' skipped: no request was recorded to repeat.")]
    public static partial void RefreshSkipped(ILogger logger, string key);

    [LoggerMessage(EventId = 2002, EventName = "HttpClientHeadLookupFailed", Level = LogLevel.Warning, Message = "Cache lookup of '{Key}' for a HEAD request failed; the request is sent to the origin.")]
    public static partial void LookupFailed(ILogger logger, string key, Exception exception);

    [LoggerMessage(EventId = 2090, EventName = "HttpClientRevalidated", Level = LogLevel.Debug, Message = "Stale response '{Key}' revalidated: the origin answered 304 Not Modified and the stored body is kept.")]
    public static partial void Revalidated(ILogger logger, string key);
}
