using Microsoft.Extensions.Logging;

namespace HybridCaching.Redis.Client;

/// <summary>
/// Pub/sub over its own connection (a subscribed connection cannot run other commands). Any number of handlers
/// share one server subscription per channel or pattern; after a reconnect every live subscription is renewed.
/// </summary>
/// <remarks>Handlers run on the connection's reader loop: they must be quick and must not block (hand work off,
/// e.g. by completing a <see cref="TaskCompletionSource"/> created with
/// <see cref="TaskCreationOptions.RunContinuationsAsynchronously"/>). An exception from a handler is logged and ignored.</remarks>
public sealed partial class RedisSubscriber : IAsyncDisposable
{
    private readonly Dictionary<(string Name, bool IsPattern), Entry> _entries = [];
    private readonly object _gate = new();
    private readonly ManagedConnection _connection;
    private readonly ILogger _logger;

    // The connection most recently handed to ResubscribeAsync (guarded by _gate). It is renewing the subscriptions
    // before the managed connection publishes it, so an unsubscribe that comes meanwhile must go to it directly.
    private PhysicalConnection? _latest;

    internal RedisSubscriber(RedisConnectionOptions options, ILogger logger)
    {
        _logger = logger;
        _connection = new ManagedConnection(options, subscriber: true, logger, Dispatch, ResubscribeAsync);
        _connection.Start();
    }

    /// <summary>Whether the subscriber's connection is open.</summary>
    public bool IsConnected => _connection.IsConnected;

    /// <summary>Subscribes a handler to a channel; completes once the server has confirmed the subscription.</summary>
    /// <param name="channel">The channel name.</param>
    /// <param name="handler">Called for each message (on the reader loop: keep it short).</param>
    /// <param name="cancellationToken">Cancels the wait for the confirmation.</param>
    /// <returns>The subscription; dispose it to unsubscribe.</returns>
    /// <exception cref="RedisConnectionException">The subscriber is not connected.</exception>
    public Task<RedisSubscription> SubscribeAsync(string channel, Action<RedisChannelMessage> handler, CancellationToken cancellationToken = default)
        => AddAsync(channel, isPattern: false, handler, cancellationToken);

    /// <summary>Subscribes a handler to every channel matching a glob-style pattern (<c>PSUBSCRIBE</c>).</summary>
    /// <param name="pattern">The pattern, e.g. <c>news.*</c>.</param>
    /// <param name="handler">Called for each message (on the reader loop: keep it short).</param>
    /// <param name="cancellationToken">Cancels the wait for the confirmation.</param>
    /// <returns>The subscription; dispose it to unsubscribe.</returns>
    /// <exception cref="RedisConnectionException">The subscriber is not connected.</exception>
    public Task<RedisSubscription> SubscribePatternAsync(string pattern, Action<RedisChannelMessage> handler, CancellationToken cancellationToken = default)
        => AddAsync(pattern, isPattern: true, handler, cancellationToken);

    /// <inheritdoc/>
    public ValueTask DisposeAsync() => _connection.DisposeAsync();

    internal void Remove(RedisSubscription subscription)
    {
        var key = (subscription.Channel, subscription.IsPattern);
        lock (_gate)
        {
            if (!_entries.TryGetValue(key, out var entry) || !entry.Handlers.Remove(subscription) || entry.Handlers.Count > 0)
            {
                return;
            }

            _entries.Remove(key);

            // Queued under the lock, so a SUBSCRIBE for the same channel that follows is also written after it.
            var command = subscription.IsPattern ? "PUNSUBSCRIBE" : "UNSUBSCRIBE";
            if (_connection.IsConnected)
            {
                _ = IgnoreFailureAsync(_connection.ExecuteAsync(command, [subscription.Channel], CancellationToken.None));
            }
            else if (_latest is { IsFailed: false } renewing)
            {
                // A reconnect is renewing the subscriptions (it may have queued this one's SUBSCRIBE already): undo it on
                // that connection, after the SUBSCRIBE, or the server would keep the subscription for good.
                _ = IgnoreFailureAsync(renewing.ExecuteAsync(command, [subscription.Channel], CancellationToken.None));
            }
        }
    }

    private static async Task IgnoreFailureAsync(Task task)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (RedisException)
        {
            // The connection went away: the server dropped the subscription with it.
        }
        catch (TimeoutException)
        {
            // Likewise; nothing is waiting on the answer.
        }
    }

    private async Task<RedisSubscription> AddAsync(string channel, bool isPattern, Action<RedisChannelMessage> handler, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(channel);
        ArgumentNullException.ThrowIfNull(handler);
        var subscription = new RedisSubscription(this, channel, isPattern, handler);
        Task confirmed;
        lock (_gate)
        {
            if (_entries.TryGetValue((channel, isPattern), out var entry))
            {
                entry.Handlers.Add(subscription);
                confirmed = entry.Confirmed;
            }
            else
            {
                entry = new Entry();
                entry.Handlers.Add(subscription);
                _entries[(channel, isPattern)] = entry;
                confirmed = entry.Confirmed = _connection.ExecuteAsync(isPattern ? "PSUBSCRIBE" : "SUBSCRIBE", [channel], CancellationToken.None);
            }
        }

        try
        {
            await confirmed.WaitAsync(cancellationToken).ConfigureAwait(false);
            return subscription;
        }
        catch
        {
            await subscription.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task ResubscribeAsync(PhysicalConnection connection)
    {
        List<(string Name, bool IsPattern)> keys;
        var confirmations = new List<Task>();
        lock (_gate)
        {
            // Queued under the lock together with publishing the connection to Remove: a subscription removed from here
            // on has its UNSUBSCRIBE queued on this connection after its SUBSCRIBE.
            _latest = connection;
            keys = [.. _entries.Keys];
            foreach (var (name, isPattern) in keys)
            {
                // One command per channel: each gets exactly one confirmation, matched in order like any reply.
                confirmations.Add(connection.ExecuteAsync(isPattern ? "PSUBSCRIBE" : "SUBSCRIBE", [name], CancellationToken.None));
            }
        }

        await Task.WhenAll(confirmations).ConfigureAwait(false);
        if (keys.Count > 0)
        {
            LogResubscribed(_logger, keys.Count);
        }
    }

    private void Dispatch(RedisReply reply)
    {
        var items = reply.Items;
        var isPattern = reply.StartsWith("pmessage"u8);
        if (items.Count < (isPattern ? 4 : 3))
        {
            return;
        }

        var pattern = isPattern ? items[1].ToString() : null;
        var channel = items[isPattern ? 2 : 1].ToString() ?? string.Empty;
        var payload = items[isPattern ? 3 : 2].AsBytes() ?? [];
        RedisSubscription[] handlers;
        lock (_gate)
        {
            if (!_entries.TryGetValue((pattern ?? channel, isPattern), out var entry))
            {
                return;
            }

            handlers = [.. entry.Handlers];
        }

        var message = new RedisChannelMessage(channel, payload, pattern);
        foreach (var subscription in handlers)
        {
            try
            {
                subscription.Handler(message);
            }
#pragma warning disable CA1031 // A subscriber's bug must not break the reader loop that serves every other subscriber.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                LogHandlerFailed(_logger, channel, ex);
            }
        }
    }

    [LoggerMessage(EventId = 10, Level = LogLevel.Information, Message = "Renewed {Count} Redis subscriptions after reconnecting.")]
    private static partial void LogResubscribed(ILogger logger, int count);

    [LoggerMessage(EventId = 11, Level = LogLevel.Error, Message = "A Redis subscription handler for channel {Channel} threw.")]
    private static partial void LogHandlerFailed(ILogger logger, string channel, Exception exception);

    private sealed class Entry
    {
        public List<RedisSubscription> Handlers { get; } = [];

        public Task Confirmed { get; set; } = Task.CompletedTask;
    }
}
