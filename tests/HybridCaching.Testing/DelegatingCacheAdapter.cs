namespace HybridCaching.Testing;

/// <summary>Passes every storage operation to an inner adapter; derived test adapters override the read, or add a
/// capability (e.g. <see cref="ICacheRace"/>).</summary>
public abstract class DelegatingCacheAdapter(ICacheAdapter inner) : ICacheAdapter
{
    protected ICacheAdapter Inner => inner;

    public virtual ValueTask<byte[]?> GetAsync(string key, CancellationToken cancellationToken = default) => inner.GetAsync(key, cancellationToken);

    public ValueTask<CacheFetchResult> FetchAsync(string key, CancellationToken cancellationToken = default) => inner.FetchAsync(key, cancellationToken);

    public ValueTask SetAsync(string key, byte[] value, TimeSpan ttl, CancellationToken cancellationToken = default) => inner.SetAsync(key, value, ttl, cancellationToken);

    public ValueTask DeleteAsync(IEnumerable<string> keys, CancellationToken cancellationToken = default) => inner.DeleteAsync(keys, cancellationToken);

    public ValueTask ClearAsync(CancellationToken cancellationToken = default) => inner.ClearAsync(cancellationToken);

    public ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }

    public void Dispose() => GC.SuppressFinalize(this);
}
