using StackExchange.Redis;

namespace HybridCaching.Redis;

// A waiter's subscription to the notification channel of one lock key: WaitAsync returns as soon as a leader publishes
// there, or when the poll delay passes. Each wake-up only means "look again".
internal sealed class RaceWaiter : IDisposable
{
    private readonly ISubscriber _subscriber;
    private readonly RedisChannel _channel;
    private readonly TimeProvider _time;
    private readonly Action<RedisChannel, RedisValue> _handler;
    private readonly EventHandler<ConnectionFailedEventArgs> _restored;
    private TaskCompletionSource _signal = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private RaceWaiter(ISubscriber subscriber, RedisChannel channel, TimeProvider time)
    {
        _subscriber = subscriber;
        _channel = channel;
        _time = time;
        _handler = (_, _) => Notify();
        _restored = (_, _) => Notify();
    }

    // Null when the subscription fails within the budget (the caller polls only).
    public static async Task<RaceWaiter?> TrySubscribeAsync(
        ISubscriber subscriber, RedisChannel channel, TimeProvider time, ResponseGuard guard, TimeSpan budget, CancellationToken cancellationToken)
    {
        var waiter = new RaceWaiter(subscriber, channel, time);
        try
        {
            guard.ThrowIfUnresponsive();

            // A notification published while a connection was being restored is lost: look again after every restore.
            subscriber.Multiplexer.ConnectionRestored += waiter._restored;
            await guard.WaitAsync(subscriber.SubscribeAsync(channel, waiter._handler), cancellationToken, budget).ConfigureAwait(false);
            return waiter;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // A subscription that completes later must not stay behind.
            waiter.Dispose();
            return null;
        }
    }

    // Forgets a notification already seen: called before looking at the lock again.
    public void Reset()
    {
        var current = Volatile.Read(ref _signal);
        if (current.Task.IsCompleted)
        {
            Interlocked.CompareExchange(ref _signal, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), current);
        }
    }

    public async Task WaitAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        try
        {
            await Volatile.Read(ref _signal).Task.WaitAsync(delay, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // The poll delay passed without a notification: look again anyway.
        }
    }

    // The server-side unsubscribe is sent without waiting for it.
    public void Dispose()
    {
        _subscriber.Multiplexer.ConnectionRestored -= _restored;
        try
        {
            _subscriber.Unsubscribe(_channel, _handler, CommandFlags.FireAndForget);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
        {
            // The connection is gone: so is the subscription.
        }
    }

    private void Notify() => Volatile.Read(ref _signal).TrySetResult();
}
