using Microsoft.Extensions.Logging;

namespace HybridCaching;

internal static partial class Log
{
    [LoggerMessage(EventId = 1003, Level = LogLevel.Warning, Message = "Background refresh failed for key '{Key}'; the stale value stays in use.")]
    public static partial void RefreshFailed(ILogger logger, string key, Exception exception);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Debug, Message = "Cached value for key '{Key}' could not be decoded as {Type}; treating it as a miss.")]
    public static partial void DecodeFailed(ILogger logger, string key, string type);

    [LoggerMessage(EventId = 1007, Level = LogLevel.Warning, Message = "CacheFunc '{Name}': FreshFor ({FreshFor}) is longer than Ttl ({Ttl}); values expire before they go stale, so none is served stale or refreshed in the background.")]
    public static partial void FreshForLongerThanTtl(ILogger logger, string name, TimeSpan freshFor, TimeSpan ttl);

    [LoggerMessage(EventId = 1050, Level = LogLevel.Warning, Message = "Dropping local copies announced by another instance failed ({Operation}, key '{Key}').")]
    public static partial void InvalidationFailed(ILogger logger, string operation, string key, Exception exception);
}
