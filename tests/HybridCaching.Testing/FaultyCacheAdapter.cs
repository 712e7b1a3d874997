namespace HybridCaching.Testing;

/// <summary>An adapter whose every call fails, its race included, like an upstream whose server is down; counts the calls.</summary>
public sealed class FaultyCacheAdapter : ICacheAdapter, ICacheRace
{
    private int _calls;

    /// <summary>How many calls have been made (each one failed).</summary>
    public int Calls => Volatile.Read(ref _calls);

    public ValueTask<byte[]?> GetAsync(string key, CancellationToken cancellationToken = default) => throw Fail();

    public ValueTask<CacheFetchResult> FetchAsync(string key, CancellationToken cancellationToken = default) => throw Fail();

    public ValueTask SetAsync(string key, byte[] value, TimeSpan ttl, CancellationToken cancellationToken = default)
        => ValueTask.FromException(Fail());

    public ValueTask DeleteAsync(IEnumerable<string> keys, CancellationToken cancellationToken = default) => ValueTask.FromException(Fail());

    public ValueTask ClearAsync(CancellationToken cancellationToken = default) => ValueTask.FromException(Fail());

    public Task<RaceResult> RaceAsync(string key, Func<CancellationToken, Task<RaceResult>> fn, TimeSpan waitFor, TimeSpan ttl, CancellationToken cancellationToken = default)
        => Task.FromException<RaceResult>(Fail());

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    public void Dispose()
    {
    }

    private InvalidOperationException Fail()
    {
        Interlocked.Increment(ref _calls);
        return new InvalidOperationException("upstream is down");
    }
}
