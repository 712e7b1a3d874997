using Microsoft.Extensions.Logging;

namespace HybridCaching.Http;

/// <summary>The HTTP handler's log messages.</summary>
internal static partial class HttpLog
{
    [LoggerMessage(EventId = 101, Level = LogLevel.Debug, Message = "Background refresh of '{Key}' skipped: no request was recorded to repeat.")]
    public static partial void RefreshSkipped(ILogger logger, string key);
}
