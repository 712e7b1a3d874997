using System.Collections.Concurrent;

namespace HybridCaching.Testing;

/// <summary>Wraps an adapter with a race whose first run's result is held back until <see cref="Release"/>: it stands
/// for the time a leader's result takes to reach waiters (e.g. other servers polling a Redis lock), so callers that
/// arrive meanwhile are sure to wait for the run. As a result left under a Redis lock does, that run's result then
/// answers every later race on its key. Counts the reads that found nothing.</summary>
public sealed class HeldRaceCache(ICacheAdapter inner) : DelegatingCacheAdapter(inner), ICacheRace
{
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentDictionary<string, Lazy<Task<RaceResult>>> _runs = new(StringComparer.Ordinal);
    private int _misses;

    /// <summary>How many reads found nothing (each caller of a cold key reads it once before it waits for the run).</summary>
    public int Misses => Volatile.Read(ref _misses);

    public void Release() => _release.TrySetResult();

    public override async ValueTask<byte[]?> GetAsync(string key, CancellationToken cancellationToken = default)
    {
        var value = await Inner.GetAsync(key, cancellationToken);
        if (value is null)
        {
            Interlocked.Increment(ref _misses);
        }

        return value;
    }

    public Task<RaceResult> RaceAsync(string key, Func<CancellationToken, Task<RaceResult>> fn, TimeSpan waitFor, TimeSpan ttl, CancellationToken cancellationToken = default)
        => _runs.GetOrAdd(key, _ => new Lazy<Task<RaceResult>>(() => RunAsync(fn))).Value.WaitAsync(cancellationToken);

    private async Task<RaceResult> RunAsync(Func<CancellationToken, Task<RaceResult>> fn)
    {
        var result = await fn(CancellationToken.None);
        await _release.Task;
        return result;
    }
}
