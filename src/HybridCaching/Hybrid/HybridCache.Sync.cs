namespace HybridCaching;

/// <content>The synchronous path (<see cref="ICacheSyncStorage"/>): its levels' synchronous paths, composed as the async
/// members compose their async ones.</content>
public sealed partial class HybridCache : ICacheSyncStorage
{
    /// <inheritdoc/>
    /// <remarks>Only when both levels run synchronously (<see cref="MemoryCache"/> and <c>RedisCache</c> do).</remarks>
    public bool CanRunSynchronously => SyncLevels() is not null;

    /// <inheritdoc/>
    /// <remarks>As <see cref="GetAsync"/>: an upstream failure is served around (logged and counted), as a miss.</remarks>
    public byte[]? Get(string key)
    {
        CacheArgument.ThrowIfInvalidKey(key);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var (upstream, downstream) = SyncLevelsOrThrow();
        return downstream.Get(key) ?? FetchUpstream(upstream, downstream, key)?.Value;
    }

    /// <inheritdoc/>
    /// <remarks>As <see cref="FetchAsync"/>: the downstream answers when the upstream fails.</remarks>
    public CacheFetchResult Fetch(string key)
    {
        CacheArgument.ThrowIfInvalidKey(key);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var (upstream, downstream) = SyncLevelsOrThrow();
        return FetchUpstream(upstream, downstream, key) ?? downstream.Fetch(key);
    }

    /// <inheritdoc/>
    /// <remarks>As <see cref="SetAsync"/>: when the upstream fails, the downstream copy is removed and the failure thrown.</remarks>
    public void Set(string key, byte[] value, TimeSpan ttl)
    {
        CacheArgument.ThrowIfInvalidWrite(key, value, ttl);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var (upstream, downstream) = SyncLevelsOrThrow();
        try
        {
            upstream.Set(key, value, ttl);
        }
        catch
        {
            downstream.Delete([key]);
            Backplane?.KeyChanged(key);
            throw;
        }

        downstream.Set(key, value, ttl);
        Backplane?.KeyChanged(key);
    }

    /// <inheritdoc/>
    /// <remarks>As <see cref="DeleteAsync"/>: downstream, then upstream, whose failure is thrown.</remarks>
    public void Delete(IEnumerable<string> keys)
    {
        var list = CacheArgument.ThrowIfInvalidKeys(keys);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var (upstream, downstream) = SyncLevelsOrThrow();
        downstream.Delete(list);
        try
        {
            upstream.Delete(list);
        }
        finally
        {
            foreach (var key in list)
            {
                Backplane?.KeyChanged(key);
            }
        }
    }

    /// <inheritdoc/>
    /// <remarks>As <see cref="RenewIfUnchangedAsync"/>: the upstream copy decides, the downstream copy follows.</remarks>
    public bool RenewIfUnchanged(string key, byte[] expected, TimeSpan ttl)
    {
        CacheArgument.ThrowIfInvalidWrite(key, expected, ttl);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var (upstream, downstream) = SyncLevelsOrThrow();
        if (_upstream is not ICacheRenewal)
        {
            return false;
        }

        bool? renewed; // null: the upstream failed
        try
        {
            renewed = upstream.RenewIfUnchanged(key, expected, ttl);
        }
        catch (Exception ex) when (CacheFunc.IsCacheFailure(ex, CancellationToken.None))
        {
            UpstreamFailed("Renew", key, ex);
            renewed = null;
        }

        if (renewed != false && _downstream is ICacheRenewal)
        {
            var renewedHere = downstream.RenewIfUnchanged(key, expected, ttl);
            return renewed ?? renewedHere;
        }

        downstream.Delete([key]);
        return renewed == true;
    }

    private (ICacheSyncStorage Upstream, ICacheSyncStorage Downstream)? SyncLevels()
        => _upstream is ICacheSyncStorage { CanRunSynchronously: true } upstream && _downstream is ICacheSyncStorage { CanRunSynchronously: true } downstream
            ? (upstream, downstream)
            : null;

    private (ICacheSyncStorage Upstream, ICacheSyncStorage Downstream) SyncLevelsOrThrow()
        => SyncLevels() ?? throw new NotSupportedException(
            $"HybridCache has no synchronous path: its upstream ({_upstream.GetType().Name}) or downstream ({_downstream.GetType().Name}) "
            + "does not implement ICacheSyncStorage. Use the async member.");

    // As FetchUpstreamAsync: the upstream value, copied down; null when the upstream has none or fails.
    private CacheFetchResult? FetchUpstream(ICacheSyncStorage upstream, ICacheSyncStorage downstream, string key)
    {
        CacheFetchResult fetched;
        var invalidations = Interlocked.Read(ref _invalidations);
        try
        {
            fetched = upstream.Fetch(key);
            _failures.Succeeded();
        }
        catch (Exception ex) when (CacheFunc.IsCacheFailure(ex, CancellationToken.None))
        {
            UpstreamFailed("Fetch", key, ex);
            return null;
        }

        if (fetched.Found && CopyDownFor(fetched, invalidations) is { } ttl)
        {
            downstream.Set(key, fetched.Value, ttl);
        }

        return fetched;
    }
}
