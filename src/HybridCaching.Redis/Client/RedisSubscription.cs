namespace HybridCaching.Redis.Client;

/// <summary>A handler's subscription to a channel or pattern; dispose it to stop receiving messages.</summary>
public sealed class RedisSubscription : IAsyncDisposable
{
    private readonly RedisSubscriber _owner;
    private int _disposed;

    internal RedisSubscription(RedisSubscriber owner, string channel, bool isPattern, Action<RedisChannelMessage> handler)
    {
        _owner = owner;
        Channel = channel;
        IsPattern = isPattern;
        Handler = handler;
    }

    /// <summary>The channel (or pattern) subscribed to.</summary>
    public string Channel { get; }

    /// <summary>Whether <see cref="Channel"/> is a pattern (<c>PSUBSCRIBE</c>).</summary>
    public bool IsPattern { get; }

    internal Action<RedisChannelMessage> Handler { get; }

    /// <summary>Stops delivering messages to the handler; the server subscription ends with the last handler.</summary>
    /// <returns>A task that completes once the handler is removed (the unsubscribe is sent in the background).</returns>
    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _owner.Remove(this);
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>Describes the subscription.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => IsPattern ? $"PSUBSCRIBE {Channel}" : $"SUBSCRIBE {Channel}";
}
