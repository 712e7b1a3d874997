using Microsoft.Extensions.Logging;

namespace HybridCaching.AspNetCore;

/// <summary>The middleware's log messages (event ids 4000-4999).</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 4001, EventName = "ResponseCachingRefreshSkipped", Level = LogLevel.Debug, Message = "Background refresh of '{Key}' skipped: no GET request was recorded to repeat.")]
    public static partial void RefreshSkipped(ILogger logger, string key);

    [LoggerMessage(EventId = 4002, EventName = "ResponseCachingOnCompletedFailed", Level = LogLevel.Warning, Message = "An OnCompleted callback of the background refresh of '{Path}' failed.")]
    public static partial void OnCompletedFailed(ILogger logger, string path, Exception exception);

    [LoggerMessage(EventId = 4003, EventName = "ResponseCachingHeadLookupFailed", Level = LogLevel.Warning, Message = "Cache lookup of '{Key}' for a HEAD request failed; the request passes through uncached.")]
    public static partial void LookupFailed(ILogger logger, string key, Exception exception);

    [LoggerMessage(EventId = 4004, EventName = "ResponseCachingVariantMismatch", Level = LogLevel.Debug, Message = "The variant stored under '{Key}' was produced for other request header values than this request's (its Vary changed); the request runs the pipeline uncached.")]
    public static partial void VariantMismatch(ILogger logger, string key);

    [LoggerMessage(EventId = 4005, EventName = "ResponseCachingBeforeRouting", Level = LogLevel.Warning, Message = "'{Path}' reached an endpoint with a hybrid response-caching policy the middleware could not see: it runs before routing. Its responses are neither stored nor shared; call UseHybridResponseCaching() after UseRouting().")]
    public static partial void BeforeRouting(ILogger logger, string path);

    [LoggerMessage(EventId = 4006, EventName = "ResponseCachingVariantLimitReached", Level = LogLevel.Warning, Message = "'{Key}' has {Maximum} stored variants alive on this server (values of varied request headers): responses for further values are sent but not stored (HybridResponseCachingOptions.MaximumVariants). Logged once.")]
    public static partial void VariantLimitReached(ILogger logger, string key, int maximum);

    [LoggerMessage(EventId = 4090, EventName = "ResponseCachingNotModified", Level = LogLevel.Debug, Message = "'{Path}' answered 304 Not Modified from the cache: the request's validators match the stored response.")]
    public static partial void NotModified(ILogger logger, string path);
}
