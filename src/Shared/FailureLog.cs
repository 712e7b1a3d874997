using Microsoft.Extensions.Logging;

namespace HybridCaching;

// Logs an outage of a cache level without flooding: the first failure in full, then at most every ReminderInterval a
// reminder with the count of failures since (no stack trace), and one line on recovery. Every failure still counts in
// the metrics. Succeeded() is a volatile read while nothing fails.
internal sealed partial class FailureLog(ILogger logger, TimeProvider timeProvider, string level)
{
    public static readonly TimeSpan ReminderInterval = TimeSpan.FromSeconds(30);

    private readonly object _gate = new();
    private volatile bool _failing;
    private DateTimeOffset _since;
    private DateTimeOffset _lastLogged;
    private long _failures;
    private long _unlogged;

    public bool IsFailing => _failing;

    public void Failed(string operation, string key, Exception exception)
    {
        var now = timeProvider.GetUtcNow();
        bool first;
        long unlogged;
        DateTimeOffset since;
        lock (_gate)
        {
            first = !_failing;
            if (first)
            {
                (_failing, _since, _failures) = (true, now, 0);
            }

            _failures++;
            if (!first && now - _lastLogged < ReminderInterval)
            {
                _unlogged++;
                return;
            }

            (_lastLogged, unlogged, _unlogged, since) = (now, _unlogged, 0, _since);
        }

        if (first)
        {
            Started(logger, level, operation, LoggedKey.Of(key), ReminderInterval, exception);
        }
        else
        {
            StillFailing(logger, level, unlogged + 1, now - since, operation, LoggedKey.Of(key), exception.GetType().Name, exception.Message);
        }
    }

    public void Succeeded()
    {
        if (!_failing)
        {
            return;
        }

        TimeSpan lasted;
        long failures;
        lock (_gate)
        {
            if (!_failing)
            {
                return;
            }

            _failing = false;
            (lasted, failures) = (timeProvider.GetUtcNow() - _since, _failures);
        }

        Recovered(logger, level, lasted, failures);
    }

    [LoggerMessage(EventId = 1100, Level = LogLevel.Warning, Message = "The {Level} cache is failing: {Operation} for key '{Key}' failed. Calls are served around it; until it recovers, failures are counted in the metrics and logged at most every {Interval}.")]
    private static partial void Started(ILogger logger, string level, string operation, string key, TimeSpan interval, Exception exception);

    [LoggerMessage(EventId = 1101, Level = LogLevel.Warning, Message = "The {Level} cache is still failing: {Failures} failures since the last log line, {Duration} since it started; the last, {Operation} for key '{Key}': {ExceptionType}: {ExceptionMessage}")]
    private static partial void StillFailing(ILogger logger, string level, long failures, TimeSpan duration, string operation, string key, string exceptionType, string exceptionMessage);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Information, Message = "The {Level} cache has recovered after {Duration} and {Failures} failures.")]
    private static partial void Recovered(ILogger logger, string level, TimeSpan duration, long failures);
}
