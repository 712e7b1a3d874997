using HybridCaching.Http;
using Microsoft.AspNetCore.Http;

namespace HybridCaching.AspNetCore;

/// <summary>
/// One request's part in a <see cref="CacheFunc"/> call: its factory (which runs the rest of the pipeline on this
/// request's context when this request leads the run, or on a fresh context for a background refresh) and the
/// payload format, which records the request line when a hit is about to go stale so a refresh can repeat it.
/// </summary>
/// <remarks>
/// The context may only be touched until <see cref="Finish"/> is called (the middleware calls it before it returns).
/// A factory called after that — possible when another server held the lock and this process's single-flight
/// called it late — does not lead: it hands the waiters <see cref="CachedHttpResponse.Bypass"/>.
/// </remarks>
internal sealed class ResponseRun : ICachePayloadFormat<CachedHttpResponse>
{
    private static readonly object Finished = new();

    private readonly HybridResponseCachingMiddleware _owner;
    private readonly HttpContext _context;
    private readonly EndpointPolicy _policy;
    private readonly HeaderVariant? _variant;

    // null while waiting; the leader's outcome while this request runs the pipeline; Finished once the middleware is done.
    private object? _state;
    private volatile RequestSnapshot? _snapshot;

    public ResponseRun(HybridResponseCachingMiddleware owner, HttpContext context, EndpointPolicy policy, HeaderVariant? variant)
    {
        _owner = owner;
        _context = context;
        _policy = policy;
        _variant = variant;
        Factory = RunAsync;
    }

    public Func<CacheFuncContext, CancellationToken, Task<CachedHttpResponse>> Factory { get; }

    public byte[] Write(CachedHttpResponse value, DateTimeOffset bestBefore) => CachedHttpResponseFormat.VaryAllowed.Write(value, bestBefore);

    public bool TryRead(scoped in CachePayload payload, out CachedHttpResponse value)
    {
        if (!CachedHttpResponseFormat.VaryAllowed.TryRead(payload, out value))
        {
            return false;
        }

        Reused(value);
        return true;
    }

    // Every request reading the entry shares one decoded response (treated as immutable by the middleware).
    public object? ReuseIdentity => CachedHttpResponseFormat.VaryAllowed;

    public void Reused(CachedHttpResponse value)
    {
        // Called only while the middleware awaits the cache, so the context is alive.
        if (_snapshot is null && Volatile.Read(ref _state) is null && _owner.IsNearlyStale(value))
        {
            _snapshot = RequestSnapshot.Capture(_context);
        }
    }

    /// <summary>Ends this request's part; afterwards the factory no longer touches its context.</summary>
    /// <returns>When this request led the run: its outcome, once its own client has been sent the response (the
    /// pipeline's exception or a failure sending the response, or null); otherwise null.</returns>
    public Task<Exception?>? Finish()
        => Interlocked.CompareExchange(ref _state, Finished, null) as TaskCompletionSource<Task<Exception?>> is { } lead ? lead.Task.Unwrap() : null;

    private Task<CachedHttpResponse> RunAsync(CacheFuncContext context, CancellationToken cancellationToken)
    {
        if (context.IsBackgroundRefresh)
        {
            return _owner.RefreshAsync(_snapshot, _policy, _variant, context, cancellationToken);
        }

        // A request that has finished cannot lead. (HEAD requests never get here: the middleware answers them
        // from a stored response or passes them through, as a HEAD response has no body to share.)
        var lead = new TaskCompletionSource<Task<Exception?>>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (Interlocked.CompareExchange(ref _state, lead, null) is not null)
        {
            context.NoCache = true;
            return Task.FromResult(CachedHttpResponse.Bypass);
        }

        return LeadAsync(context, lead, cancellationToken);
    }

    private async Task<CachedHttpResponse> LeadAsync(CacheFuncContext context, TaskCompletionSource<Task<Exception?>> lead, CancellationToken cancellationToken)
    {
        try
        {
            // The waiters get the result as soon as the pipeline has finished; this request's own client may still
            // be receiving the response, and the middleware waits for that (lead) before the request ends.
            return await _owner.RunPipelineAsync(_context, _policy, _variant, context, lead, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            lead.TrySetResult(Task.FromResult<Exception?>(ex));
            throw;
        }
    }
}
