using StackExchange.Redis;

namespace HybridCaching.Redis;

/// <summary>
/// A waiter's subscription to the notification channel of one lock key: <see cref="WaitAsync"/> returns as soon as
/// a leader publishes there, or when the poll delay passes. Each wake-up only means "look again".
/// </summary>
internal sealed class RaceWaiter : IDisposable
{
    private readonly ISubscriber _subscriber;
    private readonly RedisChannel _channel;
    private readonly TimeProvider _time;
    private readonly Action<RedisChannel, RedisValue> _handler;
    private readonly EventHandler<ConnectionFailedEventArgs> _restored;
    private TaskCompletionSource _signal = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _wakeUps;

    private RaceWaiter(ISubscriber subscriber, RedisChannel channel, TimeProvider time)
    {
        _subscriber = subscriber;
        _channel = channel;
        _time = time;
        _handler = (_, _) => Notify();
        _restored = (_, _) => Notify();
    }

    /// <summary>How many notifications this waiter received.</summary>
    public int WakeUps => Volatile.Read(ref _wakeUps);

    /// <summary>Subscribes to <paramref name="channel"/>, waiting at most <paramref name="budget"/>; <see langword="null"/>
    /// when the subscription fails (poll only).</summary>
    public static async Task<RaceWaiter?> TrySubscribeAsync(
        ISubscriber subscriber, RedisChannel channel, TimeProvider time, ResponseGuard guard, TimeSpan budget, CancellationToken cancellationToken)
    {
        var waiter = new RaceWaiter(subscriber, channel, time);
        try
        {
            guard.ThrowIfUnresponsive();

            // A notification published while a connection was being restored is lost: look again after every restore.
            subscriber.Multiplexer.ConnectionRestored += waiter._restored;
            await guard.WaitAsync(subscriber.SubscribeAsync(channel, waiter._handler), budget, cancellationToken).ConfigureAwait(false);
            return waiter;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // A subscription that completes later must not stay behind.
            waiter.Dispose();
            return null;
        }
    }

    /// <summary>Forgets a notification already seen: call before looking at the lock again.</summary>
    public void Reset()
    {
        var current = Volatile.Read(ref _signal);
        if (current.Task.IsCompleted)
        {
            Interlocked.CompareExchange(ref _signal, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), current);
        }
    }

    /// <summary>Waits for a notification (since the last <see cref="Reset"/>) or for <paramref name="delay"/>.</summary>
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

    /// <summary>Removes the handler at once; the server-side unsubscribe is sent without waiting for it.</summary>
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

    private void Notify()
    {
        Interlocked.Increment(ref _wakeUps);
        Volatile.Read(ref _signal).TrySetResult();
    }
}
