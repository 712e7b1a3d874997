using HybridCaching.Http;
using Microsoft.AspNetCore.Http;

namespace HybridCaching.AspNetCore;

// One request's part in a CacheFunc call: its factory runs the rest of the pipeline on this request's context when it
// leads the run, or on a fresh context (built from the recorded request) for a background refresh. The context is
// touched only until Finish; a factory called later (another server held the lock and this process's single-flight
// called it late) does not lead: it hands the waiters Bypass.
internal sealed class ResponseRun(HybridResponseCachingMiddleware owner, HttpContext context, EndpointPolicy policy, HeaderVariant? variant)
{
    public static readonly Func<ResponseRun, CacheFuncContext, CancellationToken, Task<CachedHttpResponse>> Factory
        = static (run, cacheContext, cancellationToken) => run.RunAsync(cacheContext, cancellationToken);

    private static readonly object Finished = new();

    private readonly object _gate = new();

    // null while waiting; the leader's outcome while this request runs the pipeline; Finished once the middleware is done.
    private object? _state;
    private RequestSnapshot? _snapshot;

    // Ends this request's part. A result about to go stale (its hit may have started a background refresh that runs
    // after this request has gone) records the request first. Returns, when this request led the run, its outcome
    // once its own client has been sent the response (the pipeline's exception, a failure sending, or null).
    public Task<Exception?>? Finish(CachedHttpResponse? result)
    {
        lock (_gate)
        {
            if (_state is null && result is { IsBypass: false } && owner.IsNearlyStale(result))
            {
                _snapshot = RequestSnapshot.Capture(context);
            }

            var lead = _state as TaskCompletionSource<Task<Exception?>>;
            _state = Finished;
            return lead?.Task.Unwrap();
        }
    }

    private Task<CachedHttpResponse> RunAsync(CacheFuncContext cacheContext, CancellationToken cancellationToken)
    {
        if (cacheContext.TryGetStaleValue(out CachedHttpResponse? _))
        {
            // The request to repeat: read while this request is still here, or the one it recorded when it finished.
            RequestSnapshot? snapshot;
            lock (_gate)
            {
                snapshot = _state is null ? RequestSnapshot.Capture(context) : _snapshot;
            }

            return owner.RefreshAsync(snapshot, policy, variant, cacheContext, cancellationToken);
        }

        var lead = new TaskCompletionSource<Task<Exception?>>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            // A request that has finished cannot lead. (HEAD requests never get here.)
            if (_state is not null)
            {
                cacheContext.NoCache = true;
                return Task.FromResult(CachedHttpResponse.Bypass);
            }

            _state = lead;
        }

        // The waiters get the result as soon as the pipeline has finished; this request's own client may still be
        // receiving the response, and the middleware waits for that (lead) before the request ends.
        return owner.RunPipelineAsync(context, policy, variant, cacheContext, lead, cancellationToken);
    }
}
