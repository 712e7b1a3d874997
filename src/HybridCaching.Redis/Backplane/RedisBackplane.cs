using System.Security.Cryptography;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace HybridCaching.Redis;

// Announcements travel on one pub/sub channel per prefix (sharded on a cluster), coalesced over BackplaneCoalesceWindow;
// with KeyspaceNotifications, Redis's own keyspace events announce every write. A dropped subscription (reconnect,
// failover) is a gap: when it is restored the listener clears its level. The keys of a failed publish stay pending and
// are announced again every RetryInterval, and at once on a restored connection, until a publish succeeds; past
// PendingKeyLimit they are replaced by one clear.
internal sealed partial class RedisBackplane(
    Task<IConnectionMultiplexer> connecting,
    Func<IConnectionMultiplexer, string, RedisChannel> channelOf,
    RedisCacheOptions options,
    ICacheBackplaneListener listener,
    ILogger logger) : ICacheBackplane
{
    private readonly string _channelName = "!backplane!" + options.Prefix;
    private readonly byte[] _instanceId = RandomNumberGenerator.GetBytes(BackplaneMessage.InstanceIdLength);
    private readonly Channel<string?> _queue = Channel.CreateUnbounded<string?>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource _subscribed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private static readonly TimeSpan RetryInterval = TimeSpan.FromMilliseconds(250);

    // Completed when a connection is restored: pending announcements are retried at once.
    private TaskCompletionSource _reconnected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _running = Task.CompletedTask;
    private IConnectionMultiplexer? _multiplexer;
    private RedisChannel _channel;
    private RedisChannel _keyspaceChannel;
    private int _disposed;
    private bool _publishFailing; // read and written by the pump only

    // Counters for tests and benchmarks (Interlocked).
    internal long MessagesPublished;
    internal long KeysPublished;
    internal long MessagesReceived;
    internal long BytesReceived;
    internal long OwnMessagesIgnored;
    internal long Gaps;
    internal long PublishesFailed;

    // Changed by tests only.
    internal int PendingKeyLimit = 10_000;

    internal Task Subscribed => _subscribed.Task;

    public RedisBackplane Start()
    {
        _running = RunAsync();
        return this;
    }

    public void KeyChanged(string key)
    {
        // With keyspace notifications Redis announces the write itself.
        if (options.Backplane == RedisBackplaneMode.PubSub)
        {
            _queue.Writer.TryWrite(key);
        }
    }

    public void Cleared() => _queue.Writer.TryWrite(null);

    public async ValueTask DisposeAsync()
    {
        Dispose();
        await _running.ConfigureAwait(false);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _queue.Writer.TryComplete();
        _stopping.Cancel();
        if (_multiplexer is { } multiplexer)
        {
            multiplexer.ConnectionRestored -= OnConnectionRestored;
            try
            {
                var subscriber = multiplexer.GetSubscriber();
                subscriber.Unsubscribe(_channel, null, CommandFlags.FireAndForget);
                if (options.Backplane == RedisBackplaneMode.KeyspaceNotifications)
                {
                    subscriber.Unsubscribe(_keyspaceChannel, null, CommandFlags.FireAndForget);
                }
            }
#pragma warning disable CA1031 // best effort: a closed multiplexer has no subscription left
            catch (Exception ex)
#pragma warning restore CA1031
            {
                LogSubscribeFailed(logger, ex.Message);
            }
        }
    }

    // Never throws: connects, subscribes (retrying until it works), then publishes what is announced.
    private async Task RunAsync()
    {
        try
        {
            // Disposal does not wait for a first connection attempt that an unreachable Redis keeps going.
            var multiplexer = await connecting.WaitAsync(_stopping.Token).ConfigureAwait(false);
            await SubscribeAsync(multiplexer).ConfigureAwait(false);
            await PumpAsync(multiplexer).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
#pragma warning disable CA1031 // detached loop: a failure is logged; the cache keeps working without a backplane
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogSubscribeFailed(logger, ex.Message);
        }
        finally
        {
            _subscribed.TrySetResult();
        }
    }

    private async Task SubscribeAsync(IConnectionMultiplexer multiplexer)
    {
        for (var failed = false; ; failed = true)
        {
            _stopping.Token.ThrowIfCancellationRequested();
            try
            {
                if (!multiplexer.IsConnected)
                {
                    throw new RedisConnectionException(ConnectionFailureType.UnableToConnect, "Not connected.");
                }

                _channel = channelOf(multiplexer, _channelName);
                var subscriber = multiplexer.GetSubscriber();
                await subscriber.SubscribeAsync(_channel, (_, message) => OnMessage(message)).ConfigureAwait(false);
                if (options.Backplane == RedisBackplaneMode.KeyspaceNotifications)
                {
                    var database = options.Database ?? multiplexer.GetDatabase().Database;
                    _keyspaceChannel = RedisChannel.Pattern($"__keyspace@{database}__:{RedisGlob.Escape(options.Prefix)}*");
                    var skip = $"__keyspace@{database}__:".Length + options.Prefix.Length;
                    await subscriber.SubscribeAsync(_keyspaceChannel, (channel, _) => OnKeyspaceEvent(channel, skip)).ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                LogSubscribeFailed(logger, ex.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), options.TimeProvider, _stopping.Token).ConfigureAwait(false);
                continue;
            }

            _multiplexer = multiplexer;
            multiplexer.ConnectionRestored += OnConnectionRestored;
            if (failed)
            {
                // Writes made before the subscription took effect were not heard.
                OnGap();
            }

            _subscribed.TrySetResult();
            return;
        }
    }

    private async Task PumpAsync(IConnectionMultiplexer multiplexer)
    {
        var reader = _queue.Reader;
        var keys = new HashSet<string>(StringComparer.Ordinal);
        var clear = false;
        Task<bool>? readable = null;
        while (true)
        {
            readable ??= reader.WaitToReadAsync(_stopping.Token).AsTask();
            if (clear || keys.Count > 0)
            {
                // Pending after a failed publish: tried again after the interval, on reconnection, or with the next announcement.
                // The interval's timer goes with the wait, whichever ends it.
                var reconnected = Volatile.Read(ref _reconnected);
                using (var interval = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token))
                {
                    await Task.WhenAny(readable, reconnected.Task, Task.Delay(RetryInterval, options.TimeProvider, interval.Token)).ConfigureAwait(false);
                    await interval.CancelAsync().ConfigureAwait(false);
                }

                _stopping.Token.ThrowIfCancellationRequested();
                if (reconnected.Task.IsCompleted)
                {
                    Interlocked.CompareExchange(ref _reconnected, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), reconnected);
                }
            }
            else
            {
                await ((Task)readable).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }

            if (readable.IsCompleted)
            {
                if (!await readable.ConfigureAwait(false))
                {
                    return; // disposed
                }

                readable = null;
                clear |= await TakeAnnouncementsAsync(reader, keys).ConfigureAwait(false);
            }

            if (clear)
            {
                if (!await PublishAsync(multiplexer, BackplaneMessage.Clear(_instanceId)).ConfigureAwait(false))
                {
                    KeepPending(keys);
                    continue;
                }

                clear = false;
            }

            if (keys.Count > 0)
            {
                var published = true;
                foreach (var message in BackplaneMessage.Keys(_instanceId, keys))
                {
                    published = published && await PublishAsync(multiplexer, message).ConfigureAwait(false);
                }

                if (!published)
                {
                    // Every key is announced again (a message that did go out costs the others a second drop at most).
                    clear = KeepPending(keys);
                    continue;
                }

                Interlocked.Add(ref KeysPublished, keys.Count);
                keys.Clear();
            }
        }
    }

    // Adds what was announced (after the coalescing window) to keys; true when a clear was, which drops the keys before it.
    private async Task<bool> TakeAnnouncementsAsync(ChannelReader<string?> reader, HashSet<string> keys)
    {
        var window = options.BackplaneCoalesceWindow;
        if (window > TimeSpan.Zero)
        {
            await Task.Delay(window, options.TimeProvider, _stopping.Token).ConfigureAwait(false);
        }

        var clear = false;
        while (reader.TryRead(out var key))
        {
            if (key is null)
            {
                clear = true;
                keys.Clear();
            }
            else
            {
                keys.Add(key);
            }

            if (window <= TimeSpan.Zero)
            {
                break; // no coalescing: one message per announcement
            }
        }

        return clear;
    }

    // After a failed publish: true when the pending keys are past the limit, and so dropped for one clear.
    private bool KeepPending(HashSet<string> keys)
    {
        if (keys.Count <= PendingKeyLimit)
        {
            return false;
        }

        LogPendingReplacedByClear(logger, keys.Count);
        keys.Clear();
        return true;
    }

    // False when the publish failed or did not complete within OperationTimeout (it is observed, and may still go out).
    private async Task<bool> PublishAsync(IConnectionMultiplexer multiplexer, byte[] message)
    {
        try
        {
            // Disposal does not wait for a publish a hung server holds (up to the multiplexer's async timeout): observed.
            var publish = multiplexer.GetSubscriber().PublishAsync(_channel, message);
            TaskObservation.ObserveFailure(publish);
            await publish.WaitAsync(options.OperationTimeout, options.TimeProvider, _stopping.Token).ConfigureAwait(false);
            Interlocked.Increment(ref MessagesPublished);
            if (_publishFailing)
            {
                _publishFailing = false;
                LogPublishingAgain(logger);
            }

            return true;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            Interlocked.Increment(ref PublishesFailed);
            if (!_publishFailing)
            {
                _publishFailing = true; // logged once per outage, not at every retry
                LogPublishFailed(logger, ex.Message);
            }

            return false;
        }
    }

    private void OnMessage(RedisValue value)
    {
        if ((byte[]?)value is not { } bytes)
        {
            return;
        }

        Interlocked.Increment(ref MessagesReceived);
        Interlocked.Add(ref BytesReceived, bytes.Length);
        if (!BackplaneMessage.TryRead(bytes, out var sender, out var cleared, out var keys))
        {
            LogMalformed(logger, bytes.Length);
            return;
        }

        if (sender.SequenceEqual(_instanceId))
        {
            Interlocked.Increment(ref OwnMessagesIgnored);
            return;
        }

        if (cleared)
        {
            listener.OnCleared();
        }
        else if (keys.Count > 0)
        {
            listener.OnKeysChanged(keys);
        }
    }

    private void OnKeyspaceEvent(RedisChannel channel, int skip)
    {
        var name = channel.ToString();
        Interlocked.Increment(ref MessagesReceived);
        Interlocked.Add(ref BytesReceived, name.Length);
        if (name.Length <= skip)
        {
            return;
        }

        var key = name[skip..];
        if (options.Prefix.Length == 0 && key.StartsWith(options.LockPrefix, StringComparison.Ordinal))
        {
            return; // lock keys are not cached values
        }

        listener.OnKeysChanged([key]);
    }

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e)
    {
        Volatile.Read(ref _reconnected).TrySetResult();

        // RESP3 carries pub/sub on the interactive connection.
        if (e.ConnectionType == ConnectionType.Subscription
            || (e.ConnectionType == ConnectionType.Interactive && e.EndPoint is { } endPoint && _multiplexer?.GetServer(endPoint).Protocol == RedisProtocol.Resp3))
        {
            OnGap();
        }
    }

    private void OnGap()
    {
        Interlocked.Increment(ref Gaps);
        LogGap(logger);
        listener.OnCleared();
    }

    [LoggerMessage(EventId = 3006, Level = LogLevel.Warning, Message = "Backplane announcement not published ({Reason}); it is kept and published again, and other instances keep their copies until then.")]
    private static partial void LogPublishFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 3014, Level = LogLevel.Information, Message = "Backplane publishing works again: the announcements kept meanwhile were published.")]
    private static partial void LogPublishingAgain(ILogger logger);

    [LoggerMessage(EventId = 3013, Level = LogLevel.Warning, Message = "{Count} backplane announcements are waiting for publishing to work again: one clear will be announced instead.")]
    private static partial void LogPendingReplacedByClear(ILogger logger, int count);

    [LoggerMessage(EventId = 3007, Level = LogLevel.Warning, Message = "Ignored a malformed backplane message of {Length} bytes.")]
    private static partial void LogMalformed(ILogger logger, int length);

    [LoggerMessage(EventId = 3008, Level = LogLevel.Information, Message = "Backplane subscription restored after a gap: the local level was cleared.")]
    private static partial void LogGap(ILogger logger);

    [LoggerMessage(EventId = 3009, Level = LogLevel.Warning, Message = "Backplane subscription failed ({Reason}); retrying.")]
    private static partial void LogSubscribeFailed(ILogger logger, string reason);
}
