using System.Diagnostics;

namespace HybridCaching;

// Background refresh: a stale hit returns at once and refreshes the value once per key, outside the caller's context;
// the refreshes under way are counted, so tests (ours and users') can wait for them without polling.
public sealed partial class CacheFunc
{
    // A hit counted as fresh or stale; a stale one starts the key's background refresh.
    private void CountHit<T, TFormat, TState>(bool stale, string key, Invocation<TState, T> call, TFormat format, T value)
        where TFormat : ICachePayloadFormat<T>
    {
        CacheTelemetry.Count(stale ? CacheTelemetry.StaleHits : CacheTelemetry.FreshHits, _tags);
        if (stale)
        {
            StartRefresh<T, TFormat, TState>(key, call, format, value);
        }
    }

    private void StartRefresh<T, TFormat, TState>(string key, Invocation<TState, T> call, TFormat format, T stale)
        where TFormat : ICachePayloadFormat<T>
    {
        if (_refreshing.ContainsKey(key) || !_refreshing.TryAdd(key, true))
        {
            return;
        }

        // The refresh outlives the stale caller: it must not carry the caller's execution context (activity, logging
        // scopes, HttpContext accessor) into work done after that caller has finished. Its span is a new trace linked to the caller's.
        var caller = Activity.Current?.Context ?? default;
        using (ExecutionContext.SuppressFlow())
        {
            _ = Task.Run(() => RefreshAsync<T, TFormat, TState>(key, call, format, stale, caller));
        }
    }

    private async Task RefreshAsync<T, TFormat, TState>(string key, Invocation<TState, T> call, TFormat format, T stale, ActivityContext caller)
        where TFormat : ICachePayloadFormat<T>
    {
        using var activity = StartActivity("hybridcaching.refresh", key, caller);
        try
        {
            var deadline = new Deadline(_timeProvider, _waitFor);
            using var timeout = new CancellationTokenSource(_waitFor, _timeProvider);

            // Another server may have refreshed it already.
            var latest = await _cache.FetchAsync(key, timeout.Token).ConfigureAwait(false);
            if (latest.Found && CachePayload.TryRead(latest.Value, out var payload) && payload.BestBefore > _timeProvider.GetUtcNow())
            {
                CacheTelemetry.Count(CacheTelemetry.Refreshes, _tags, "outcome", "skipped");
                return;
            }

            var run = new FactoryRun<T, TFormat, TState>(this, key, call, format, _race, IsBackgroundRefresh: true, StoreResult: true) { StaleValue = stale };
            await RunOnceAsync(run, deadline.Remaining, timeout.Token).ConfigureAwait(false);
            CacheTelemetry.Count(CacheTelemetry.Refreshes, _tags, "outcome", "ok");
        }
#pragma warning disable CA1031 // a failed refresh must not surface anywhere: the stale value stays in use
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.RefreshFailed(_logger, LoggedKey.Of(key), ex);
            CacheTelemetry.Count(CacheTelemetry.Refreshes, _tags, "outcome", "failed");
            activity?.SetStatus(ActivityStatusCode.Error, ex.GetType().FullName);

            // With the source down, stale hits keep coming: try again after the suppression window, not on every hit.
            await Task.Delay(_suppressFor, _timeProvider).ConfigureAwait(false);
        }
        finally
        {
            _refreshing.TryRemove(key, out _);
            TaskCompletionSource? idle = null;
            lock (_refreshesIdleGate)
            {
                if (_refreshing.IsEmpty)
                {
                    (idle, _refreshesIdle) = (_refreshesIdle, null);
                }
            }

            idle?.TrySetResult();
        }
    }

    private readonly object _refreshesIdleGate = new();
    private TaskCompletionSource? _refreshesIdle;

    /// <summary>The number of background refreshes under way.</summary>
    /// <remarks>Test support, with <see cref="WhenBackgroundRefreshesIdleAsync"/>: a test (yours or ours) can assert that
    /// a stale hit started a refresh, or that none is left running. Not a health signal.</remarks>
    public int PendingBackgroundRefreshes => _refreshing.Count;

    /// <summary>Completes when no background refresh is under way: at once if none is, otherwise when the last
    /// one running ends (written, failed, or found already refreshed). Meant for tests: after a stale hit, await it
    /// and the refreshed value is stored, with no polling or sleeping.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task that completes when the refreshes are idle.</returns>
    /// <remarks>A refresh whose factory failed keeps its slot for the retry window (<c>min(2 s, freshFor)</c> on the
    /// <see cref="CacheFunc"/>'s clock, so a fake clock must be advanced past it) before it counts as ended; a
    /// refresh started after this call returned its task is waited for too if it starts before the count reaches 0.</remarks>
    public Task WhenBackgroundRefreshesIdleAsync(CancellationToken cancellationToken = default)
    {
        lock (_refreshesIdleGate)
        {
            if (_refreshing.IsEmpty)
            {
                return Task.CompletedTask;
            }

            _refreshesIdle ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _refreshesIdle.Task.WaitAsync(cancellationToken);
        }
    }
}
