using System.Collections.Concurrent;

namespace HybridCaching;

// Hot reads coalesce: a read the cache cannot answer at once (Redis) is shared while pending, one round trip per key. A
// write through this function forgets the key's pending read first: no caller after it gets bytes read before it.
public sealed partial class CacheFunc
{
    private readonly ConcurrentDictionary<string, Task<byte[]?>> _pendingReads = new(StringComparer.Ordinal);
    private int _pendingReadCount; // lets a cache that answers at once skip the map

    // The stored bytes, or null for a miss: a failed read, or one later than a quarter of waitFor (a hung cache leaves a
    // miss three quarters for its race and factory), is logged and is a miss.
    private ValueTask<byte[]?> ReadAsync(string key, Deadline deadline, CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _pendingReadCount) != 0 && _pendingReads.TryGetValue(key, out var shared))
        {
            return JoinReadAsync(shared, cancellationToken);
        }

        ValueTask<byte[]?> pending;
        try
        {
            pending = _cache.GetAsync(key, cancellationToken);
        }
        catch (Exception ex) when (IsCacheFailure(ex, cancellationToken))
        {
            ReadFailed(key, ex);
            return default;
        }

        if (pending.IsCompletedSuccessfully)
        {
            _failures.Succeeded();
            return pending;
        }

        return LeadReadAsync(key, deadline.WithinAsync(pending.AsTask(), 0.25, cancellationToken), cancellationToken);
    }

    private async ValueTask<byte[]?> LeadReadAsync(string key, Task<byte[]?> read, CancellationToken cancellationToken)
    {
        var shared = _pendingReads.TryAdd(key, read);
        if (shared)
        {
            Interlocked.Increment(ref _pendingReadCount);
        }

        try
        {
            var value = await read.ConfigureAwait(false);
            _failures.Succeeded();
            return value;
        }
        catch (Exception ex) when (IsCacheFailure(ex, cancellationToken))
        {
            ReadFailed(key, ex);
            return null;
        }
        finally
        {
            if (shared && _pendingReads.TryRemove(new KeyValuePair<string, Task<byte[]?>>(key, read)))
            {
                Interlocked.Decrement(ref _pendingReadCount);
            }
        }
    }

    // A caller that joined another's read: its failure (which that caller logs), or its caller's cancellation, is a miss here.
    private static async ValueTask<byte[]?> JoinReadAsync(Task<byte[]?> shared, CancellationToken cancellationToken)
    {
        try
        {
            return await shared.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsCacheFailure(ex, cancellationToken))
        {
            return null;
        }
    }

    // A cache failure to serve around (CacheFunc, HybridCache): neither the caller's own cancellation nor a disposed cache.
    internal static bool IsCacheFailure(Exception ex, CancellationToken cancellationToken)
        => !(ex is OperationCanceledException && cancellationToken.IsCancellationRequested) && ex is not ObjectDisposedException;

    // Before a write through this function: callers from now on read again rather than join a read that began before it.
    private void ForgetPendingRead(string key)
    {
        if (Volatile.Read(ref _pendingReadCount) != 0 && _pendingReads.TryRemove(key, out _))
        {
            Interlocked.Decrement(ref _pendingReadCount);
        }
    }
}
