using HybridCaching.Redis.Client;

namespace HybridCaching.Redis;

/// <summary>
/// A waiter's subscription to the notification channel of one lock key: <see cref="WaitAsync"/> returns as soon as
/// a leader publishes there, or when the poll delay passes. Each wake-up only means "look again".
/// </summary>
internal sealed class RaceWaiter : IAsyncDisposable
{
    private readonly TimeProvider _time;
    private TaskCompletionSource _signal = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private RedisSubscription? _subscription;

    private RaceWaiter(TimeProvider time) => _time = time;

    /// <summary>Subscribes to <paramref name="channel"/>; <see langword="null"/> when the subscriber is unavailable (poll only).</summary>
    public static async Task<RaceWaiter?> TrySubscribeAsync(RedisSubscriber subscriber, string channel, TimeProvider time, CancellationToken cancellationToken)
    {
        var waiter = new RaceWaiter(time);
        try
        {
            waiter._subscription = await subscriber.SubscribeAsync(channel, _ => waiter.Notify(), cancellationToken).ConfigureAwait(false);
            return waiter;
        }
        catch (RedisException)
        {
            return null;
        }
        catch (TimeoutException)
        {
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

    public async ValueTask DisposeAsync()
    {
        if (_subscription is not null)
        {
            await _subscription.DisposeAsync().ConfigureAwait(false);
        }
    }

    private void Notify() => Volatile.Read(ref _signal).TrySetResult();
}
