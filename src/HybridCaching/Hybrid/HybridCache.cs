using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace HybridCaching;

/// <summary>
/// A two-level <see cref="ICacheAdapter"/>: a shared upstream (typically Redis) that coordinates servers, and a fast
/// downstream (typically memory) that answers frequent hits. When the upstream fails, a read or a race is served around
/// the failure (logged and counted as <c>hybridcaching.errors</c>); a write, a removal or a clear throws it.
/// </summary>
/// <remarks>
/// <see cref="GetAsync"/> answers from downstream and, on a miss, fetches upstream and copies the value down;
/// <see cref="FetchAsync"/> always asks upstream. <see cref="SetAsync"/> writes upstream, then downstream; when the
/// upstream fails the key is removed downstream too, so this instance serves nothing the upstream may not hold.
/// <see cref="RaceAsync"/> is the upstream's race when it offers one (<see cref="ICacheRace"/>), else the work runs here.
/// Disposing the hybrid cache disposes both adapters. Over an <see cref="ICacheBackplaneSource"/> upstream, every write
/// and removal is announced to the other instances, which drop their downstream copies (docs/architecture.md).
/// </remarks>
public sealed partial class HybridCache : ICacheAdapter, ICacheRace, ICacheRenewal, ICacheBackplaneListener, ILocalCacheEntries, ICacheLocalCopies
{
    private readonly ICacheAdapter _upstream;
    private readonly ICacheRace? _upstreamRace;
    private readonly ICacheAdapter _downstream;
    private readonly ILocalCacheEntries? _downstreamEntries;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly FailureLog _failures;
    private readonly string _upstreamLevel; // the cache.level tag of the upstream failures counted here
    private long _invalidations; // bumped on every announcement received: a copy-down that raced one is skipped
    private volatile bool _disposed;

    /// <summary>Creates a hybrid cache.</summary>
    /// <param name="upstream">The shared cache (e.g. Redis).</param>
    /// <param name="downstream">The local cache (e.g. <see cref="MemoryCache"/>).</param>
    /// <param name="logger">Where upstream failures are logged; none when null.</param>
    /// <param name="timeProvider">The clock that measures the race's remaining time; <see cref="TimeProvider.System"/> when null.</param>
    public HybridCache(ICacheAdapter upstream, ICacheAdapter downstream, ILogger? logger = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(upstream);
        ArgumentNullException.ThrowIfNull(downstream);
        if (ReferenceEquals(upstream, downstream))
        {
            throw new ArgumentException("Upstream and downstream must be different adapters.", nameof(downstream));
        }

        _upstream = upstream;
        _upstreamRace = upstream as ICacheRace;
        _downstream = downstream;
        _downstreamEntries = downstream as ILocalCacheEntries;
        _logger = logger ?? NullLogger.Instance;
        _timeProvider = timeProvider ?? TimeProvider.System;
        Backplane = (upstream as ICacheBackplaneSource)?.CreateBackplane(this);
        _upstreamLevel = CacheTelemetry.LevelOf(upstream);
        _failures = new FailureLog(_logger, _timeProvider, _upstreamLevel);
    }

    internal ICacheBackplane? Backplane { get; }

    /// <inheritdoc/>
    long ICacheLocalCopies.InvalidationsReceived => Interlocked.Read(ref _invalidations);

    /// <inheritdoc/>
    public ValueTask<byte[]?> GetAsync(string key, CancellationToken cancellationToken = default)
    {
        CacheArgument.ThrowIfInvalidKey(key);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var local = _downstream.GetAsync(key, cancellationToken);
        return local.IsCompletedSuccessfully && local.Result is not null ? local : GetSlowAsync(local, key, cancellationToken);
    }

    /// <inheritdoc/>
    public async ValueTask<CacheFetchResult> FetchAsync(string key, CancellationToken cancellationToken = default)
    {
        CacheArgument.ThrowIfInvalidKey(key);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var fetched = await FetchUpstreamAsync(key, cancellationToken).ConfigureAwait(false);
        return fetched ?? await _downstream.FetchAsync(key, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask SetAsync(string key, byte[] value, TimeSpan ttl, CancellationToken cancellationToken = default)
    {
        CacheArgument.ThrowIfInvalidWrite(key, value, ttl);
        ObjectDisposedException.ThrowIf(_disposed, this);
        try
        {
            await _upstream.SetAsync(key, value, ttl, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // Refused, or perhaps applied (a timeout, a cancellation): this instance keeps no copy, and the others are told
            // to drop theirs, so every one reads again what the upstream holds.
            await _downstream.DeleteAsync([key], CancellationToken.None).ConfigureAwait(false);
            Backplane?.KeyChanged(key);
            throw;
        }

        await _downstream.SetAsync(key, value, ttl, cancellationToken).ConfigureAwait(false);
        Backplane?.KeyChanged(key);
    }

    /// <inheritdoc/>
    async ValueTask ICacheLocalCopies.StoreProducedAsync(string key, byte[] value, TimeSpan ttl)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        await _downstream.SetAsync(key, value, ttl).ConfigureAwait(false);
        try
        {
            await _upstream.SetAsync(key, value, ttl).ConfigureAwait(false);
            _failures.Succeeded();
        }
        catch (Exception ex) when (CacheFunc.IsCacheFailure(ex, CancellationToken.None))
        {
            UpstreamFailed("Set", key, ex);
        }

        Backplane?.KeyChanged(key);
    }

    /// <inheritdoc/>
    ValueTask<CacheFetchResult> ICacheLocalCopies.FetchSharedAsync(string key, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _upstream.FetchAsync(key, cancellationToken);
    }

    /// <inheritdoc/>
    ValueTask ICacheLocalCopies.CopyLocallyAsync(string key, byte[] value, TimeSpan ttl, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _downstream.SetAsync(key, value, ttl, cancellationToken);
    }

    /// <inheritdoc/>
    /// <remarks>The downstream's entry, when the downstream is an <see cref="ILocalCacheEntries"/>; none otherwise.</remarks>
    bool ILocalCacheEntries.TryGetLocal(string key, [MaybeNullWhen(false)] out LocalCacheEntry entry)
    {
        entry = null;
        return _downstreamEntries is not null && _downstreamEntries.TryGetLocal(key, out entry);
    }

    /// <inheritdoc/>
    void ILocalCacheEntries.KeepDecoded(string key, LocalCacheEntry entry, object decoded, long decodedBytes)
        => _downstreamEntries?.KeepDecoded(key, entry, decoded, decodedBytes);

    /// <inheritdoc/>
    public async ValueTask DeleteAsync(IEnumerable<string> keys, CancellationToken cancellationToken = default)
    {
        var list = CacheArgument.ThrowIfInvalidKeys(keys);
        ObjectDisposedException.ThrowIf(_disposed, this);
        await _downstream.DeleteAsync(list, cancellationToken).ConfigureAwait(false);
        try
        {
            await _upstream.DeleteAsync(list, cancellationToken).ConfigureAwait(false);
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
    public async ValueTask ClearAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        await _downstream.ClearAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _upstream.ClearAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Backplane?.Cleared();
        }
    }

    /// <inheritdoc/>
    /// <remarks>The upstream copy decides: renewed there, the downstream copy is renewed too (or dropped, by a downstream
    /// that cannot renew); not renewed there, the outdated downstream copy is dropped. An upstream that is not an
    /// <see cref="ICacheRenewal"/> renews nothing. When the upstream fails (logged and counted), only the downstream copy
    /// is renewed, so the entry keeps sliding here while reads are served from memory.</remarks>
    public async ValueTask<bool> RenewIfUnchangedAsync(string key, byte[] expected, TimeSpan ttl, CancellationToken cancellationToken = default)
    {
        CacheArgument.ThrowIfInvalidWrite(key, expected, ttl);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_upstream is not ICacheRenewal upstream)
        {
            return false;
        }

        bool? renewed; // null: the upstream failed
        try
        {
            renewed = await upstream.RenewIfUnchangedAsync(key, expected, ttl, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (CacheFunc.IsCacheFailure(ex, cancellationToken))
        {
            UpstreamFailed("Renew", key, ex);
            renewed = null;
        }

        if (renewed != false && _downstream is ICacheRenewal downstream)
        {
            var renewedHere = await downstream.RenewIfUnchangedAsync(key, expected, ttl, cancellationToken).ConfigureAwait(false);
            return renewed ?? renewedHere;
        }

        await _downstream.DeleteAsync([key], cancellationToken).ConfigureAwait(false);
        return renewed == true;
    }

    /// <inheritdoc/>
    /// <remarks>Races through the upstream when it is an <see cref="ICacheRace"/>; otherwise, or when the upstream cannot
    /// coordinate (it is down, say), runs <paramref name="fn"/> here, bounded by what is left of
    /// <paramref name="waitFor"/>.</remarks>
    public Task<RaceResult> RaceAsync(
        string key,
        Func<CancellationToken, Task<RaceResult>> fn,
        TimeSpan waitFor,
        TimeSpan ttl,
        CancellationToken cancellationToken = default)
    {
        CacheArgument.ThrowIfInvalidRace(key, fn, waitFor, ttl);
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _upstreamRace is null
            ? RunHereAsync(key, fn, waitFor, cancellationToken)
            : RaceUpstreamAsync(_upstreamRace, key, fn, waitFor, ttl, cancellationToken);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        Backplane?.Dispose();
        _downstream.Dispose();
        _upstream.Dispose();
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        await (Backplane?.DisposeAsync() ?? ValueTask.CompletedTask).ConfigureAwait(false);
        await _downstream.DisposeAsync().ConfigureAwait(false);
        await _upstream.DisposeAsync().ConfigureAwait(false);
    }

    /// <inheritdoc/>
    void ICacheBackplaneListener.OnKeysChanged(IReadOnlyList<string> keys)
    {
        Interlocked.Increment(ref _invalidations);
        if (!_disposed)
        {
            Observe(_downstream.DeleteAsync(keys), "Delete", keys.Count > 0 ? keys[0] : string.Empty);
        }
    }

    /// <inheritdoc/>
    void ICacheBackplaneListener.OnCleared()
    {
        Interlocked.Increment(ref _invalidations);
        if (!_disposed)
        {
            Observe(_downstream.ClearAsync(), "Clear", string.Empty);
        }
    }

    private void Observe(ValueTask pending, string operation, string key)
    {
        if (pending.IsCompletedSuccessfully)
        {
            return;
        }

        _ = pending.AsTask().ContinueWith(
            t => Log.InvalidationFailed(_logger, operation, LoggedKey.Of(key), t.Exception!.GetBaseException()),
            CancellationToken.None,
            TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    // An upstream failure served around: counted under the upstream's level, and logged as part of an outage.
    private void UpstreamFailed(string operation, string key, Exception ex)
    {
        _failures.Failed(operation, key, ex);
        CacheTelemetry.CountError(_upstreamLevel, operation switch { "Fetch" => "read", "Set" or "Renew" => "write", _ => "race" });
    }

    private async ValueTask<byte[]?> GetSlowAsync(ValueTask<byte[]?> local, string key, CancellationToken cancellationToken)
    {
        var value = await local.ConfigureAwait(false);
        return value ?? (await FetchUpstreamAsync(key, cancellationToken).ConfigureAwait(false))?.Value;
    }

    // The upstream value copied downstream for its remaining TTL; null when upstream has none or fails.
    private async ValueTask<CacheFetchResult?> FetchUpstreamAsync(string key, CancellationToken cancellationToken)
    {
        CacheFetchResult fetched;
        var invalidations = Interlocked.Read(ref _invalidations);
        try
        {
            fetched = await _upstream.FetchAsync(key, cancellationToken).ConfigureAwait(false);
            _failures.Succeeded();
        }
        catch (Exception ex) when (CacheFunc.IsCacheFailure(ex, cancellationToken))
        {
            UpstreamFailed("Fetch", key, ex);
            return null;
        }

        if (fetched.Found && CopyDownFor(fetched, invalidations) is { } ttl)
        {
            await _downstream.SetAsync(key, fetched.Value, ttl, cancellationToken).ConfigureAwait(false);
        }

        return fetched;
    }

    // How long a value found upstream is kept downstream: its remaining TTL (without expiry: the downstream's max); null
    // when expired, or when an announcement received since the fetch began may mean the value read was replaced.
    private TimeSpan? CopyDownFor(in CacheFetchResult fetched, long invalidationsBefore)
    {
        var ttl = fetched.TimeToLive == Timeout.InfiniteTimeSpan ? TimeSpan.MaxValue : fetched.TimeToLive;
        return ttl > TimeSpan.Zero && Interlocked.Read(ref _invalidations) == invalidationsBefore ? ttl : null;
    }

    private Task<RaceResult> RunHereAsync(string key, Func<CancellationToken, Task<RaceResult>> fn, TimeSpan waitFor, CancellationToken cancellationToken)
        => BoundedRun.RunAsync(key, fn, static (run, token) => run(token), waitFor, _timeProvider, cancellationToken);

    private async Task<RaceResult> RaceUpstreamAsync(
        ICacheRace upstream,
        string key,
        Func<CancellationToken, Task<RaceResult>> fn,
        TimeSpan waitFor,
        TimeSpan ttl,
        CancellationToken cancellationToken)
    {
        var deadline = new Deadline(_timeProvider, waitFor);
        // Whether the upstream race ran the work here, so an upstream failure can be told apart from the work's own.
        bool ran = false, succeeded = false;
        RaceResult result = default;
        try
        {
            result = await upstream.RaceAsync(
                key,
                async token =>
                {
                    ran = true;
                    result = await fn(token).ConfigureAwait(false);
                    succeeded = true;
                    return result;
                },
                waitFor,
                ttl,
                cancellationToken).ConfigureAwait(false);
            _failures.Succeeded();
            return result;
        }
        catch (Exception ex) when (!ran && CacheFunc.IsCacheFailure(ex, cancellationToken)
            && ex is not (RemoteRaceException or TimeoutException))
        {
            // The upstream could not coordinate (e.g. it is down): run the work here. A leader's failure on
            // another server, or waitFor passing while waiting for it, is the race's outcome and is not retried.
            UpstreamFailed("Race", key, ex);
            return await RunHereAsync(key, fn, deadline.Remaining, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (succeeded && CacheFunc.IsCacheFailure(ex, cancellationToken))
        {
            // The work ran here and succeeded; only sharing its result failed.
            UpstreamFailed("Race", key, ex);
            return result;
        }
    }
}
