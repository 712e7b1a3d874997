using System.Globalization;
using System.Runtime.ExceptionServices;
using HybridCaching.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Net.Http.Headers;

namespace HybridCaching.AspNetCore;

// Caches the responses of the rest of the pipeline through a CacheFunc: a hit is answered at once (a stale one is
// refreshed in the background on a fresh context); concurrent requests for a missing key share one run of the pipeline,
// the first request's own, streamed to its client as it is produced.
internal sealed class HybridResponseCachingMiddleware
{
    private readonly RequestDelegate _next;
    private readonly ICacheAdapter? _cache;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly IServiceScopeFactory _scopeFactory;
    private readonly IHttpContextFactory? _contextFactory;
    private readonly Func<HttpContext, string> _requestKey;
    private readonly bool _isDefaultKey;
    private readonly EndpointPolicies _policies;
    private readonly Func<HttpContext, bool>? _acceptRequest;
    private readonly Func<HttpContext, CachedHttpResponse, bool>? _acceptResponse;
    private readonly Func<HttpContext, Exception, Task>? _errorHandler;
    private readonly long _maximumBodySize;
    private readonly VariantLimit _variants;
    private int _warnedBeforeRouting;
    private int _warnedVariantLimit;

    public HybridResponseCachingMiddleware(RequestDelegate next, HybridResponseCachingOptions options, IServiceProvider services)
    {
        // Built by UseHybridResponseCaching, which has validated the options.
        _next = next;
        _time = options.TimeProvider ?? TimeProvider.System;
        _logger = (ILogger?)services.GetService<ILoggerFactory>()?.CreateLogger("HybridCaching.AspNetCore.HybridResponseCaching") ?? NullLogger.Instance;
        _cache = options.Cache;
        _scopeFactory = services.GetRequiredService<IServiceScopeFactory>();
        _contextFactory = services.GetService<IHttpContextFactory>();
        _requestKey = options.RequestKey ?? HybridResponseCachingOptions.DefaultRequestKey;
        _isDefaultKey = options.RequestKey is null;
        _policies = new EndpointPolicies(options, _time, _logger);
        _acceptRequest = options.AcceptRequest;
        _acceptResponse = options.AcceptResponse;
        _errorHandler = options.ErrorHandler;
        _maximumBodySize = options.MaximumBodySize;
        _variants = new VariantLimit(options.MaximumVariants, _time);
    }

    public Task InvokeAsync(HttpContext context)
    {
        if (_policies.Resolve(context) is not { } policy)
        {
            // Only endpoints with a policy are cached, and none is known yet: routing found none, or has not run.
            return context.GetEndpoint() is null ? PassThroughBeforeRoutingAsync(context) : _next(context);
        }

        if (!IsCacheable(context) || policy.Key(context, _requestKey, _isDefaultKey, out var variant) is not { Length: > 0 } key)
        {
            return _next(context);
        }

        return HttpMethods.IsHead(context.Request.Method) ? InvokeHeadAsync(context, key) : InvokeCachedAsync(context, key, policy, variant, isVariant: false);
    }

    // The leader's run on this request's own context (see LeaderResponseBody). The pipeline sees cancellationToken as
    // RequestAborted: it fires when waitFor passes or every waiter has gone, not when only this request's client has.
    // `ended` gets what ends this request once its client has the response: the pipeline's exception, a failed send, or
    // null. Returns what the waiters get as soon as the pipeline has finished.
    private async Task<CachedHttpResponse> RunPipelineAsync(HttpContext context, EndpointPolicy policy, HeaderVariant? variant, CacheFuncContext cacheContext, TaskCompletionSource<Task<Exception?>> ended, CancellationToken cancellationToken)
    {
        var features = context.Features;
        var originalBody = features.Get<IHttpResponseBodyFeature>();
        var originalLifetime = features.Get<IHttpRequestLifetimeFeature>();
        LeaderResponseBody? body = null;
        CachedHttpResponse result;
        try
        {
            var clientAborted = originalLifetime?.RequestAborted ?? CancellationToken.None;
            body = new LeaderResponseBody(context.Response, features.GetRequiredFeature<IHttpResponseBodyFeature>(), _maximumBodySize, clientAborted);
            features.Set<IHttpResponseBodyFeature>(body);
            features.Set<IHttpRequestLifetimeFeature>(new LeaderLifetime(originalLifetime, cancellationToken));
            AddMissHeader(context);

            // The pipeline makes the full response for everyone (an app's own 304 could not be shared), and this
            // request's client receives it.
            context.Request.Headers.Remove(HeaderNames.IfNoneMatch);
            context.Request.Headers.Remove(HeaderNames.IfModifiedSince);
            await _next(context).ConfigureAwait(false);
            await body.FlushWriterAsync().ConfigureAwait(false);
            result = Evaluate(context, body.Captured, policy, variant, cacheContext);
        }
        catch (Exception ex)
        {
            // The waiters get the exception now; this request rethrows it once its client has what the app wrote.
            ended.TrySetResult(body?.DrainAsync(ex) ?? Task.FromResult<Exception?>(ex));
            throw;
        }
        finally
        {
            features.Set(originalBody);
            features.Set(originalLifetime);
        }

        ended.TrySetResult(body.DrainAsync());
        return result;
    }

    // EndpointsOnly mode without an endpoint: if routing then picks one with a policy, the middleware runs before
    // routing, and warning 4005 says so (once).
    private async Task PassThroughBeforeRoutingAsync(HttpContext context)
    {
        await _next(context).ConfigureAwait(false);
        if (EndpointPolicies.FindMetadata(context.GetEndpoint()) is not null)
        {
            WarnBeforeRouting(context);
        }
    }

    private void WarnBeforeRouting(HttpContext context)
    {
        if (Interlocked.Exchange(ref _warnedBeforeRouting, 1) == 0)
        {
            Log.BeforeRouting(_logger, context.Request.Path);
        }
    }

    private static void AddMissHeader(HttpContext context)
    {
        if (!context.Response.HasStarted)
        {
            context.Response.OnStarting(
                static state =>
                {
                    ((HttpContext)state).Response.Headers[HttpCacheStatus.HeaderName] = HttpCacheStatus.Miss;
                    return Task.CompletedTask;
                },
                context);
        }
    }

    // This request's own response, uncached.
    private Task PassThroughAsync(HttpContext context)
    {
        AddMissHeader(context);
        return _next(context);
    }

    private bool IsCacheable(HttpContext context)
    {
        var request = context.Request;
        var headers = request.Headers;

        // A precondition the cache does not evaluate (If-Match, If-Unmodified-Since, If-Range) gets an answer (a 412,
        // a 206) for that request alone: it passes through rather than lead a run others would share.
        return (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method))
            && !headers.ContainsKey(HeaderNames.Authorization)
            && !headers.ContainsKey(HeaderNames.IfMatch) && !headers.ContainsKey(HeaderNames.IfUnmodifiedSince) && !headers.ContainsKey(HeaderNames.IfRange)
            && request.ContentLength is null or 0
            && !headers.ContainsKey(HeaderNames.TransferEncoding)
            && context.User.Identity?.IsAuthenticated != true
            && _acceptRequest?.Invoke(context) != false;
    }

    // A HEAD request: answered from a stored response (a stale one is not refreshed: the endpoint chosen for HEAD need
    // not answer a GET), or passed through uncached. It never leads a run: its response has no body for the GETs waiting.
    private async Task InvokeHeadAsync(HttpContext context, string key)
    {
        // The entry under the key, else (it varies by headers this request does not match) this request's variant.
        for (int lookup = 0; _cache is not null && lookup < 2; lookup++)
        {
            CachedHttpResponse? cached;
            try
            {
                cached = await _cache.GetHttpResponseAsync(key, callerMatchesVary: true, _time, context.RequestAborted).ConfigureAwait(false);
            }
            catch (Exception ex) when (HttpResponsePolicy.IsLookupFailure(ex, context.RequestAborted))
            {
                Log.LookupFailed(_logger, LoggedKey.Of(key), ex);
                cached = null;
            }

            if (cached is null)
            {
                break;
            }

            if (ResponseVary.Matches(cached, context.Request, underVariantKey: lookup > 0, out string? marker))
            {
                await WriteAsync(context, cached).ConfigureAwait(false);
                return;
            }

            key = ResponseVary.VariantKey(key, marker ?? string.Empty);
        }

        await PassThroughAsync(context).ConfigureAwait(false);
    }

    private async Task InvokeCachedAsync(HttpContext context, string key, EndpointPolicy policy, HeaderVariant? variant, bool isVariant)
    {
        var run = new ResponseRun(this, context, policy, variant);
        CachedHttpResponse? cached = null;
        Exception? error = null;
        try
        {
            cached = await policy.Func.DoHttpResponseAsync(key, run, ResponseRun.Factory, callerMatchesVary: true, context.RequestAborted)
                .ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            error = ex;
        }

        if (run.Finish(cached)?.Task.Unwrap() is { } ran)
        {
            // This request ran the pipeline itself: it ends once its client has the whole response, and its own
            // exception is what counts, even past waitFor or after its client went away.
            var failure = await ran.ConfigureAwait(false);
            if (failure is null)
            {
                return;
            }

            if (error is not TimeoutException || failure is not OperationCanceledException || context.Response.HasStarted)
            {
                ExceptionDispatchInfo.Throw(failure);
            }
        }
        else if (error is OperationCanceledException && context.RequestAborted.IsCancellationRequested)
        {
            ExceptionDispatchInfo.Throw(error);
        }

        if (cached is null)
        {
            // The call threw error: a timeout, or the failure of a run this request waited on.
            if (_errorHandler is not null)
            {
                await _errorHandler(context, error!).ConfigureAwait(false);
            }
            else if (error is TimeoutException && !context.Response.HasStarted)
            {
                context.Response.StatusCode = StatusCodes.Status504GatewayTimeout;
            }
            else
            {
                ExceptionDispatchInfo.Throw(error!);
            }
        }
        else if (cached.IsBypass)
        {
            // The run this request waited on produced a response that must not be shared: make its own.
            await PassThroughAsync(context).ConfigureAwait(false);
        }
        else if (ResponseVary.Matches(cached, context.Request, isVariant, out string? marker))
        {
            await WriteAsync(context, cached).ConfigureAwait(false);
        }
        else if (!isVariant)
        {
            // Another request's variant: this request's own lives under the key plus its values (counted under the key
            // without any header values of its own).
            var responseVariant = new HeaderVariant(variant?.BaseKey ?? key, variant?.Id + " v:" + marker);
            await InvokeCachedAsync(context, ResponseVary.VariantKey(key, marker!), policy, responseVariant, isVariant: true).ConfigureAwait(false);
        }
        else
        {
            // A variant that does not match either (its Vary changed since) is not served.
            Log.VariantMismatch(_logger, LoggedKey.Of(key));
            await PassThroughAsync(context).ConfigureAwait(false);
        }
    }

    // A response from the cache, or 304 Not Modified when the request's If-None-Match (or, without it,
    // If-Modified-Since) holds against the stored response's validators.
    private async Task WriteAsync(HttpContext context, CachedHttpResponse cached)
    {
        var response = context.Response;
        var validators = context.Request.Headers;
        bool notModified = (validators.IfNoneMatch.Count > 0 || validators.IfModifiedSince.Count > 0)
            && HttpValidators.IsNotModified(validators.IfNoneMatch, validators.IfModifiedSince, cached);
        response.StatusCode = notModified ? StatusCodes.Status304NotModified : cached.StatusCode;
        var headers = response.Headers;
        foreach (var (name, values) in cached.Headers)
        {
            if (notModified
                ? HttpValidators.IsNotModifiedHeader(name)
                : !string.Equals(name, HeaderNames.ContentLength, StringComparison.OrdinalIgnoreCase)
                    && !string.Equals(name, ResponseVary.MarkerHeader, StringComparison.OrdinalIgnoreCase))
            {
                headers[name] = values;
            }
        }

        var now = _time.GetUtcNow();
        headers[HttpCacheStatus.HeaderName] = HttpResponsePolicy.StatusOf(cached, now);
        if (cached.GetAge(now) is { } age)
        {
            headers.Age = ((long)age.TotalSeconds).ToString(CultureInfo.InvariantCulture);
        }

        if (notModified)
        {
            Log.NotModified(_logger, context.Request.Path.Value ?? "/");
            return;
        }

        if (!cached.Body.IsEmpty || cached.Headers.ContainsKey(HeaderNames.ContentLength))
        {
            response.ContentLength = cached.Body.Length;
        }

        if (!cached.Body.IsEmpty && !HttpMethods.IsHead(context.Request.Method))
        {
            await response.Body.WriteAsync(cached.Body, context.RequestAborted).ConfigureAwait(false);
        }
    }

    // A background refresh: the pipeline on a fresh context built from the recorded request, in its own DI scope (the
    // CacheFunc runs it with a clean execution context: IHttpContextAccessor's holder is not the stale request's).
    private async Task<CachedHttpResponse> RefreshAsync(RequestSnapshot snapshot, EndpointPolicy policy, HeaderVariant? variant, CacheFuncContext cacheContext, CancellationToken cancellationToken)
    {
        var scope = _scopeFactory.CreateAsyncScope();
        await using (scope.ConfigureAwait(false))
        {
            var response = new BufferedResponse(_maximumBodySize);
            var context = snapshot.CreateContext(response, scope.ServiceProvider, _contextFactory, cancellationToken);
            try
            {
                await _next(context).ConfigureAwait(false);
                await response.CompleteAsync().ConfigureAwait(false);
                return Evaluate(context, response.Captured, policy, variant, cacheContext);
            }
            finally
            {
                await response.FireOnCompletedAsync(_logger, snapshot.Path).ConfigureAwait(false);
                _contextFactory?.Dispose(context);
            }
        }
    }

    // Turns a finished response into what the waiters get, and decides whether it is stored.
    private CachedHttpResponse Evaluate(HttpContext context, ReadOnlyMemory<byte>? body, EndpointPolicy policy, HeaderVariant? variant, CacheFuncContext cacheContext)
    {
        var response = context.Response;
        bool missedPolicy = _policies.MissedEndpointPolicy(policy, context);
        if (missedPolicy)
        {
            // Its vary settings were not part of the key: sharing the response could hand one variant to another.
            WarnBeforeRouting(context);
        }

        if (missedPolicy || body is not { } captured || !ResponsePolicy.IsShareable(response, _maximumBodySize))
        {
            return HttpResponsePolicy.NotShared(cacheContext);
        }

        policy.Apply(cacheContext, context);
        var result = ResponsePolicy.ToCached(response, captured, _time.GetUtcNow(), ResponseVary.Marker(response.Headers, context.Request));
        if (result.StatusCode >= StatusCodes.Status400BadRequest || _acceptResponse?.Invoke(context, result) == false)
        {
            cacheContext.NoCache = true;
        }
        else if (variant is { } stored && !_variants.TryAdmit(stored, cacheContext.Ttl))
        {
            // MaximumVariants of this key are stored and alive: this one is answered and shared, not stored.
            if (Interlocked.Exchange(ref _warnedVariantLimit, 1) == 0)
            {
                Log.VariantLimitReached(_logger, LoggedKey.Of(stored.BaseKey), _variants.Maximum);
            }

            cacheContext.NoCache = true;
        }

        return result;
    }

    // One request's part in a CacheFunc call: leading the run is running the rest of the pipeline on this request's
    // context (HEAD requests never lead); a background refresh runs it on a fresh context built from the recorded request.
    private sealed class ResponseRun(HybridResponseCachingMiddleware owner, HttpContext context, EndpointPolicy policy, HeaderVariant? variant)
        : HttpCacheCall<RequestSnapshot, TaskCompletionSource<Task<Exception?>>>(owner._time)
    {
        protected override RequestSnapshot? Record() => RequestSnapshot.Capture(context);

        protected override TaskCompletionSource<Task<Exception?>> NewLead() => new(TaskCreationOptions.RunContinuationsAsynchronously);

        protected override Task<CachedHttpResponse> LeadAsync(TaskCompletionSource<Task<Exception?>> lead, CacheFuncContext cacheContext, CancellationToken cancellationToken)
            => owner.RunPipelineAsync(context, policy, variant, cacheContext, lead, cancellationToken);

        protected override Task<CachedHttpResponse> RefreshAsync(RequestSnapshot recorded, CachedHttpResponse? stale, CacheFuncContext cacheContext, CancellationToken cancellationToken)
            => owner.RefreshAsync(recorded, policy, variant, cacheContext, cancellationToken);

        protected override void LogRefreshSkipped(string key) => Log.RefreshSkipped(owner._logger, LoggedKey.Of(key));
    }

    // The leader's view of the request's lifetime: aborted when the shared run is, not when only its own client goes.
    private sealed class LeaderLifetime(IHttpRequestLifetimeFeature? original, CancellationToken requestAborted) : IHttpRequestLifetimeFeature
    {
        public CancellationToken RequestAborted { get; set; } = requestAborted;

        public void Abort() => original?.Abort();
    }
}
