namespace HybridCaching.Http;

// One caller's part in a CacheFunc call of an HTTP cache. Its factory either leads the run, sending the caller's request
// to the origin while the caller waits (TLead: what the leader gets besides the shared result), or runs a background
// refresh repeating the caller's request (TRecorded: copied while the caller is here, or recorded by Finish for a result
// about to go stale; without one the refresh is skipped). A factory called after Finish does not lead: it hands Bypass.
internal abstract class HttpCacheCall<TRecorded, TLead>(TimeProvider time, CachedHttpResponse? staleFound = null)
    where TRecorded : class
    where TLead : class
{
    public static readonly Func<HttpCacheCall<TRecorded, TLead>, CacheFuncContext, CancellationToken, Task<CachedHttpResponse>> Factory
        = static (call, context, cancellationToken) => call.RunAsync(context, cancellationToken);

    private static readonly object Finished = new();

    // null while the caller waits; its TLead while it leads the run; Finished once the caller is done.
    private object? _state;
    private TRecorded? _recorded;

    // Guards the state; held by a leader handing its outcome over.
    protected object Gate { get; } = new();

    // Under Gate: whether the caller still waits on the run it leads.
    protected bool IsLeading => _state is TLead;

    // Ends the caller's part, recording the request for a result about to go stale (its hit may start a background
    // refresh that runs after the caller has gone). Returns what the caller led, if it led the run.
    public TLead? Finish(CachedHttpResponse? result)
    {
        lock (Gate)
        {
            if (_state is null && result is { IsBypass: false } && HttpResponsePolicy.IsNearlyStale(result, time.GetUtcNow()))
            {
                _recorded = Record();
            }

            var lead = _state as TLead;
            _state = Finished;
            return lead;
        }
    }

    // A copy of the caller's request to repeat in a background refresh, or null when it cannot be repeated.
    protected abstract TRecorded? Record();

    protected abstract TLead NewLead();

    protected abstract Task<CachedHttpResponse> LeadAsync(TLead lead, CacheFuncContext context, CancellationToken cancellationToken);

    protected abstract Task<CachedHttpResponse> RefreshAsync(TRecorded recorded, CachedHttpResponse? stale, CacheFuncContext context, CancellationToken cancellationToken);

    protected abstract void LogRefreshSkipped(string key);

    private Task<CachedHttpResponse> RunAsync(CacheFuncContext context, CancellationToken cancellationToken)
    {
        // A background refresh, or a caller that found a stale entry itself (a client's HEAD) that has vanished since.
        if (context.TryGetStaleValue(out CachedHttpResponse? stale) || (stale = staleFound) is not null)
        {
            TRecorded? recorded;
            lock (Gate)
            {
                recorded = _state is null ? Record() : _recorded;
            }

            if (recorded is null)
            {
                LogRefreshSkipped(context.Key);
                return Task.FromResult(HttpResponsePolicy.NotShared(context));
            }

            return RefreshAsync(recorded, stale, context, cancellationToken);
        }

        var lead = NewLead();
        lock (Gate)
        {
            // A caller that has gone cannot lead.
            if (_state is not null)
            {
                return Task.FromResult(HttpResponsePolicy.NotShared(context));
            }

            _state = lead;
        }

        return LeadAsync(lead, context, cancellationToken);
    }
}
