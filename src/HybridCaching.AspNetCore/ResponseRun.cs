using HybridCaching.Http;
using Microsoft.AspNetCore.Http;

namespace HybridCaching.AspNetCore;

// One request's part in a CacheFunc call: leading the run is running the rest of the pipeline on this request's context;
// a background refresh runs it on a fresh context built from the recorded request. The lead is the leader's outcome
// once its own client has been sent the response (the pipeline's exception, a failure sending, or null).
internal sealed class ResponseRun(HybridResponseCachingMiddleware owner, HttpContext context, EndpointPolicy policy, HeaderVariant? variant)
    : HttpCacheCall<RequestSnapshot, TaskCompletionSource<Task<Exception?>>>(owner.Time)
{
    protected override RequestSnapshot? Record() => RequestSnapshot.Capture(context);

    protected override TaskCompletionSource<Task<Exception?>> NewLead() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    // The waiters get the result as soon as the pipeline has finished; this request's own client may still be receiving
    // the response, and the middleware waits for that (lead) before the request ends. (HEAD requests never lead.)
    protected override Task<CachedHttpResponse> LeadAsync(TaskCompletionSource<Task<Exception?>> lead, CacheFuncContext cacheContext, CancellationToken cancellationToken)
        => owner.RunPipelineAsync(context, policy, variant, cacheContext, lead, cancellationToken);

    protected override Task<CachedHttpResponse> RefreshAsync(RequestSnapshot recorded, CachedHttpResponse? stale, CacheFuncContext cacheContext, CancellationToken cancellationToken)
        => owner.RefreshAsync(recorded, policy, variant, cacheContext, cancellationToken);

    protected override void LogRefreshSkipped(string key) => Log.RefreshSkipped(owner.Logger, LoggedKey.Of(key));
}
