using Microsoft.Extensions.Logging;

namespace HybridCaching;

// The limits on what is cached (CacheFuncOptions.MaximumKeyLength, MaximumPayloadBytes): beyond them a value is computed
// and returned, not stored, and the first time each limit is passed it is logged.
public sealed partial class CacheFunc
{
    private readonly int _maximumKeyLength;
    private readonly int _maximumPayloadBytes;
    private int _keyLimitLogged;
    private int _payloadLimitLogged;

    private bool IsTooLong(string key)
    {
        if (key.Length <= _maximumKeyLength)
        {
            return false;
        }

        if (Interlocked.Exchange(ref _keyLimitLogged, 1) == 0)
        {
            KeyTooLong(_logger, Name, LoggedKey.Of(key), key.Length, _maximumKeyLength);
        }

        return true;
    }

    private bool IsTooLarge(string key, byte[] payload)
    {
        if (payload.Length <= _maximumPayloadBytes)
        {
            return false;
        }

        if (Interlocked.Exchange(ref _payloadLimitLogged, 1) == 0)
        {
            PayloadTooLarge(_logger, Name, LoggedKey.Of(key), payload.Length, _maximumPayloadBytes);
        }

        return true;
    }

    // A key too long to cache: the factory runs (shared by concurrent callers of the key in this process, with no race
    // across servers) and nothing is read or stored.
    private async ValueTask<T> UncachedAsync<T, TFormat, TState>(string key, Invocation<TState, T> call, TFormat format, CancellationToken cancellationToken)
        where TFormat : ICachePayloadFormat<T>
    {
        var run = new FactoryRun<T, TFormat, TState>(this, key, call, format, Race: null, IsBackgroundRefresh: false, StoreResult: false);
        var shared = await RunOnceAsync(run, _waitFor, cancellationToken).ConfigureAwait(false);
        if (run.Produced is { } produced && ReferenceEquals(produced, shared.Value))
        {
            return run.ProducedValue!;
        }

        return TryParse<T>(key, shared.Value, out var payload) && TryRead(key, payload, format, out T value)
            ? value
            : throw Unreadable<T, TFormat>(key, false, payload, format);
    }

    [LoggerMessage(EventId = 1005, Level = LogLevel.Warning, Message = "CacheFunc '{Name}': key '{Key}' has {Length} characters, over MaximumKeyLength ({Maximum}); values under such keys are computed and not cached. Logged once.")]
    private static partial void KeyTooLong(ILogger logger, string name, string key, int length, int maximum);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Warning, Message = "CacheFunc '{Name}': the entry for key '{Key}' has {Length} bytes, over MaximumPayloadBytes ({Maximum}); such values are returned and not stored. Logged once.")]
    private static partial void PayloadTooLarge(ILogger logger, string name, string key, int length, int maximum);
}
