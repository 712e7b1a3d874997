namespace HybridCaching.Testing;

/// <summary>Passes every operation to an inner adapter (renewal too, when it has it); a read armed with
/// <see cref="PauseNextRead"/> stops once it has read, until released, so a test can run other operations between a
/// read and whatever its caller does next with the bytes.</summary>
public sealed class PausingReadCache(ICacheAdapter inner) : DelegatingCacheAdapter(inner), ICacheRenewal
{
    private Pause? _next;

    /// <summary>Arms the next read; await <see cref="Pause.Reached"/>, then call <see cref="Pause.Release"/>.</summary>
    public Pause PauseNextRead() => _next = new Pause();

    public override async ValueTask<byte[]?> GetAsync(string key, CancellationToken cancellationToken = default)
    {
        var value = await Inner.GetAsync(key, cancellationToken);
        if (Interlocked.Exchange(ref _next, null) is { } pause)
        {
            pause.Reach();
            await pause.Released;
        }

        return value;
    }

    public ValueTask<bool> RenewIfUnchangedAsync(string key, byte[] expected, TimeSpan ttl, CancellationToken cancellationToken = default)
        => Inner is ICacheRenewal renewal ? renewal.RenewIfUnchangedAsync(key, expected, ttl, cancellationToken) : new ValueTask<bool>(false);

    /// <summary>One paused read.</summary>
    public sealed class Pause
    {
        private readonly TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Completes once the read has its bytes and waits.</summary>
        public Task Reached => _reached.Task;

        internal Task Released => _released.Task;

        /// <summary>Lets the read return.</summary>
        public void Release() => _released.TrySetResult();

        internal void Reach() => _reached.TrySetResult();
    }
}
