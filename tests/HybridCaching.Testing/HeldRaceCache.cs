namespace HybridCaching.Testing;

/// <summary>Wraps an adapter so that every run's result is held back until <see cref="Release"/>: it stands for the
/// time a leader's result takes to reach waiters (e.g. other servers polling a Redis lock), so callers that arrive
/// meanwhile are sure to join the run and receive its result. Counts the callers that entered a run.</summary>
public sealed class HeldRaceCache(ICacheAdapter inner) : ICacheAdapter
{
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _racers;

    public int Racers => Volatile.Read(ref _racers);

    public void Release() => _release.TrySetResult();

    public ValueTask<byte[]?> GetAsync(string key, CancellationToken cancellationToken = default) => inner.GetAsync(key, cancellationToken);

    public ValueTask<CacheFetchResult> FetchAsync(string key, CancellationToken cancellationToken = default) => inner.FetchAsync(key, cancellationToken);

    public ValueTask SetAsync(string key, byte[] value, TimeSpan ttl, CancellationToken cancellationToken = default) => inner.SetAsync(key, value, ttl, cancellationToken);

    public ValueTask DeleteAsync(IEnumerable<string> keys, CancellationToken cancellationToken = default) => inner.DeleteAsync(keys, cancellationToken);

    public ValueTask ClearAsync(CancellationToken cancellationToken = default) => inner.ClearAsync(cancellationToken);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    public void Dispose()
    {
    }

    public Task<RaceResult> RaceAsync(string key, Func<CancellationToken, Task<RaceResult>> fn, TimeSpan waitFor, TimeSpan ttl, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _racers);
        return inner.RaceAsync(
            key,
            async token =>
            {
                var result = await fn(token);
                await _release.Task;
                return result;
            },
            waitFor,
            ttl,
            cancellationToken);
    }
}
