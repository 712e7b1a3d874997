using StackExchange.Redis;

namespace HybridCaching.Redis;

// A waiter's subscription to one lock key's notification channel: each wake-up only means "look again".
internal sealed class RaceWaiter(ISubscriber subscriber, RedisChannel channel, TimeProvider time) : IDisposable
{
    private TaskCompletionSource _signal = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _restored; // the last wake-up was a restored connection's, not a leader's notification

    // Null when the subscription fails within the budget (the caller polls only).
    public static async Task<RaceWaiter?> TrySubscribeAsync(
        ISubscriber subscriber, RedisChannel channel, TimeProvider time, ResponseGuard guard, GuardTarget target, TimeSpan budget, CancellationToken cancellationToken)
    {
        var waiter = new RaceWaiter(subscriber, channel, time);
        try
        {
            guard.ThrowIfUnresponsive(target);

            // A notification published while a connection was being restored is lost: wake up on every restore.
            subscriber.Multiplexer.ConnectionRestored += waiter.OnRestored;
            await guard.WaitAsync(subscriber.SubscribeAsync(channel, waiter.OnMessage), target, cancellationToken, budget).ConfigureAwait(false);
            return waiter;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            waiter.Dispose(); // a subscription that completes later must not stay behind
            return null;
        }
    }

    // True at a leader's notification (then forgotten), false once delay has passed, null when a restored connection woke it.
    public async Task<bool?> WaitAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        var signal = Volatile.Read(ref _signal);
        try
        {
            await signal.Task.WaitAsync(delay, time, cancellationToken).ConfigureAwait(false);
            Interlocked.CompareExchange(ref _signal, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), signal);
            return Interlocked.Exchange(ref _restored, 0) == 0 ? true : null;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    // The server-side unsubscribe is sent without waiting for it.
    public void Dispose()
    {
        subscriber.Multiplexer.ConnectionRestored -= OnRestored;
        try
        {
            subscriber.Unsubscribe(channel, OnMessage, CommandFlags.FireAndForget);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
        {
            // The connection is gone, and the subscription with it.
        }
    }

    // Equal delegates (same waiter, same method) unsubscribe what was subscribed.
    private void OnMessage(RedisChannel notified, RedisValue message) => Volatile.Read(ref _signal).TrySetResult();

    private void OnRestored(object? sender, ConnectionFailedEventArgs e)
    {
        Volatile.Write(ref _restored, 1);
        Volatile.Read(ref _signal).TrySetResult();
    }
}
