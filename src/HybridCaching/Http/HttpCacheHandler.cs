using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace HybridCaching.Http;

/// <summary>
/// A <see cref="DelegatingHandler"/> caching <see cref="HttpClient"/> responses through a <see cref="CacheFunc"/> (the
/// Go original's RoundTripper): a fresh hit answers at once, a stale one too and is refreshed in the background, and
/// concurrent requests for a missing URL (across servers too, over Redis) share one request to the origin.
/// </summary>
/// <remarks>
/// <para>With <c>IHttpClientFactory</c>, set <see cref="HttpCacheHandlerOptions.CacheFunc"/> so the instances it creates
/// over time share one single-flight group. What is cached is listed on <see cref="HttpCacheHandlerOptions"/>; every
/// response the handler deals with carries <see cref="HttpCacheStatus.HeaderName"/> (and <c>Age</c> on hits).</para>
/// <para>A HEAD request is answered from a stored GET response (looked up in <see cref="HttpCacheHandlerOptions.Cache"/>);
/// a HEAD miss goes to the origin uncached, outside the GETs' single-flight run. The origin's response is buffered (up
/// to <see cref="HttpCacheHandlerOptions.MaximumBodySize"/>) before it is returned; one that will not be shared is
/// returned unbuffered. The synchronous <see cref="HttpClient.Send(HttpRequestMessage)"/> passes through uncached.</para>
/// <para>The background refresh of a stale entry with an <c>ETag</c> (or <c>Last-Modified</c>) is conditional: on 304
/// the stored body is kept, its headers updated from the 304, and it is stored as fresh; callers never see that 304.</para>
/// </remarks>
[DebuggerDisplay("HttpCacheHandler, MaximumBodySize = {_maxBody}")]
public sealed class HttpCacheHandler : DelegatingHandler
{
    // A caller that sends validators of its own keeps its own copy: the origin answers it (a 304 included), uncached.
    private static readonly string[] UncachedRequestHeaders =
        ["Authorization", "If-None-Match", "If-Modified-Since", "If-Match", "If-Unmodified-Since", "If-Range"];

    private readonly CacheFunc _func;
    private readonly ICacheAdapter? _cache;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Func<HttpRequestMessage, string> _requestKey;
    private readonly Func<HttpRequestMessage, bool>? _acceptRequest;
    private readonly Func<HttpRequestMessage, CachedHttpResponse, bool>? _acceptResponse;
    private readonly Func<HttpRequestMessage, Exception, HttpResponseMessage?>? _errorHandler;
    private readonly long _maxBody;
    private readonly string[] _varyNames;
    private readonly Func<string, bool>? _varyCovers;
    private readonly CachedHttpResponseFormat _format;

    /// <summary>Creates the handler; set its inner handler before use (<c>IHttpClientFactory</c> does).</summary>
    /// <param name="options">The settings; validated and read once here.</param>
    public HttpCacheHandler(HttpCacheHandlerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _time = options.TimeProvider ?? TimeProvider.System;
        _logger = options.Logger ?? NullLogger.Instance;
        _cache = options.Cache;
        _func = options.CacheFunc
            ?? new CacheFunc(options.Cache!, new CacheFuncOptions
            {
                Durations = options.Durations,
                TimeProvider = _time,
                Logger = options.Logger,
                MaximumKeyLength = HttpResponsePolicy.MaximumKeyLength,
                MaximumPayloadBytes = HttpResponsePolicy.MaximumPayloadBytes,
            });
        _requestKey = options.RequestKey ?? HttpCacheHandlerOptions.DefaultRequestKey;
        _acceptRequest = options.AcceptRequest;
        _acceptResponse = options.AcceptResponse;
        _errorHandler = options.ErrorHandler;
        _maxBody = options.MaximumBodySize;
        _varyNames = [.. options.VaryByRequestHeaders.Select(static n => n.Trim().ToLowerInvariant())
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
        _varyCovers = _varyNames.Length == 0 ? null : new HashSet<string>(_varyNames, StringComparer.OrdinalIgnoreCase).Contains;
        _format = _varyCovers is null ? CachedHttpResponseFormat.Instance : new CachedHttpResponseFormat(_varyCovers);
    }

    /// <summary>Creates the handler over an inner handler.</summary>
    /// <param name="options">The settings; validated and read once here.</param>
    /// <param name="innerHandler">The handler that sends requests to the origin.</param>
    public HttpCacheHandler(HttpCacheHandlerOptions options, HttpMessageHandler innerHandler)
        : this(options)
    {
        ArgumentNullException.ThrowIfNull(innerHandler);
        InnerHandler = innerHandler;
    }

    /// <inheritdoc/>
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        string? key = IsCacheable(request) ? _requestKey(request) : null;
        if (string.IsNullOrEmpty(key))
        {
            return base.SendAsync(request, cancellationToken);
        }

        if (_varyNames.Length > 0)
        {
            key = VaryKey(key, request);
        }

        return request.Method == HttpMethod.Head
            ? SendHeadAsync(request, key, cancellationToken)
            : SendCachedAsync(request, key, new Call(this, request, headStale: null), cancellationToken);
    }

    private static void SetStatus(HttpResponseMessage response, string status)
    {
        response.Headers.Remove(HttpCacheStatus.HeaderName);
        response.Headers.TryAddWithoutValidation(HttpCacheStatus.HeaderName, status);
    }

    private static void CopyHeaders(HttpHeaders from, HttpHeaders to)
    {
        foreach (var header in from.NonValidated)
        {
            to.TryAddWithoutValidation(header.Key, header.Value);
        }
    }

    // A GET repeating a request's line and headers: a background refresh may run after the caller's message is gone.
    private static HttpRequestMessage CopyRequest(HttpRequestMessage request)
    {
        var copy = new HttpRequestMessage(HttpMethod.Get, request.RequestUri) { Version = request.Version, VersionPolicy = request.VersionPolicy };
        CopyHeaders(request.Headers, copy.Headers);
        return copy;
    }

    // All the headers of a message and its content, each with its values.
    private static List<KeyValuePair<string, string[]>> HeaderList(params HttpHeaders[] headers)
        => [.. headers.SelectMany(static h => h.NonValidated).Select(static h => new KeyValuePair<string, string[]>(h.Key, [.. h.Value]))];

    // The key of a request's variant (VaryByRequestHeaders): the request key, a line break, then for each header
    // (lower-cased, sorted) its name and "-" when absent, or its count of values and each value prefixed by its length,
    // so two different requests never produce the same key (the default request key, an escaped URL, has no line break).
    private string VaryKey(string requestKey, HttpRequestMessage request)
    {
        var key = new StringBuilder(requestKey).Append('\n');
        var headers = request.Headers.NonValidated;
        foreach (string name in _varyNames)
        {
            key.Append(name);
            if (!headers.TryGetValues(name, out var values))
            {
                key.Append(" -");
                continue;
            }

            key.Append(' ').Append(values.Count.ToString(CultureInfo.InvariantCulture));
            foreach (string value in values)
            {
                key.Append(' ').Append(value.Length.ToString(CultureInfo.InvariantCulture)).Append(':').Append(value);
            }

            key.Append(';');
        }

        return key.ToString();
    }

    private bool IsCacheable(HttpRequestMessage request)
        => (request.Method == HttpMethod.Get || request.Method == HttpMethod.Head)
            && request.RequestUri is { IsAbsoluteUri: true }
            && request.Content is null
            && !Array.Exists(UncachedRequestHeaders, request.Headers.NonValidated.Contains)
            && _acceptRequest?.Invoke(request) != false;

    // A HEAD never leads a cold key's run: its response has no body to share with the GETs waiting on it.
    private async Task<HttpResponseMessage> SendHeadAsync(HttpRequestMessage request, string key, CancellationToken cancellationToken)
    {
        CachedHttpResponse? cached = null;
        try
        {
            cached = _cache is null ? null : await _format.ReadStoredAsync(_cache, key, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (HttpResponsePolicy.IsLookupFailure(ex, cancellationToken))
        {
            HttpLog.LookupFailed(_logger, LoggedKey.Of(key), ex);
        }

        if (cached is not null)
        {
            // Stale: through the cache function, which refreshes it in the background (as a GET), or through this
            // call's factory should the entry vanish meanwhile.
            return cached.BestBefore > _time.GetUtcNow()
                ? ToResponse(cached, request)
                : await SendCachedAsync(request, key, new Call(this, request, headStale: cached), cancellationToken).ConfigureAwait(false);
        }

        return await SendToOriginAsync(request, cancellationToken).ConfigureAwait(false);
    }

    private async Task<HttpResponseMessage> SendToOriginAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        SetStatus(response, HttpCacheStatus.Miss);
        return response;
    }

    private async Task<HttpResponseMessage> SendCachedAsync(HttpRequestMessage request, string key, Call call, CancellationToken cancellationToken)
    {
        CachedHttpResponse cached;
        try
        {
            cached = await _func.DoAsync(key, call, Call.Factory, _format, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            var lead = call.Finish(null);
            lead?.Value?.Dispose();
            if ((lead is not null && ex is not TimeoutException)
                || (ex is OperationCanceledException && cancellationToken.IsCancellationRequested)
                || _errorHandler?.Invoke(request, ex) is not { } handled)
            {
                throw;
            }

            return handled;
        }

        // The leader returns the origin's own response; a waiter handed a Bypass asks the origin itself.
        return call.Finish(cached)?.Value is { } origin ? origin
            : cached.IsBypass ? await SendToOriginAsync(request, cancellationToken).ConfigureAwait(false)
            : ToResponse(cached, request);
    }

    private HttpResponseMessage ToResponse(CachedHttpResponse cached, HttpRequestMessage request)
    {
        var response = new HttpResponseMessage((HttpStatusCode)cached.StatusCode) { RequestMessage = request, Version = request.Version };
        var content = new ReadOnlyMemoryContent(request.Method == HttpMethod.Head ? ReadOnlyMemory<byte>.Empty : cached.Body);
        foreach (var (name, values) in cached.Headers)
        {
            if (!string.Equals(name, "Content-Length", StringComparison.OrdinalIgnoreCase)
                && !response.Headers.TryAddWithoutValidation(name, values))
            {
                content.Headers.TryAddWithoutValidation(name, values);
            }
        }

        content.Headers.ContentLength = cached.Body.Length;
        response.Content = content;

        var now = _time.GetUtcNow();
        SetStatus(response, HttpResponsePolicy.StatusOf(cached, now));
        response.Headers.Age = cached.GetAge(now);
        return response;
    }

    // Reads a response for the cache, leaving it readable by its caller.
    private async Task<CachedHttpResponse> CaptureAsync(HttpRequestMessage request, HttpResponseMessage response, CacheFuncContext context, CancellationToken cancellationToken)
    {
        var content = response.Content;
        var head = new CachedHttpResponse((int)response.StatusCode, HeaderList(response.Headers), default);
        if (!HttpResponsePolicy.IsShareable(head, _varyCovers) || content.Headers.ContentLength > _maxBody)
        {
            return HttpResponsePolicy.NotShared(context);
        }

        var stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        var buffer = new BoundedBuffer(_maxBody);
        buffer.Reserve(content.Headers.ContentLength ?? 0);
        byte[] chunk = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            int read;
            while ((read = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
            {
                if (!buffer.TryAppend(chunk.AsSpan(0, read)))
                {
                    // Too big to cache: the caller gets what was read so far followed by the rest, unbuffered.
                    byte[] prefix = [.. buffer.Written.Span, .. chunk.AsSpan(0, read)];
                    response.Content = new StreamContent(new PrefixedReadStream(prefix, stream));
                    CopyHeaders(content.Headers, response.Content.Headers);
                    return HttpResponsePolicy.NotShared(context);
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }

        var body = buffer.Written;
        response.Content = new ReadOnlyMemoryContent(body);
        CopyHeaders(content.Headers, response.Content.Headers);
        content.Dispose();

        var headers = HeaderList(response.Headers, response.Content.Headers);
        if (!head.Headers.ContainsKey("Date"))
        {
            headers.Add(new("Date", [HttpValidators.FormatHttpDate(_time.GetUtcNow())]));
        }

        var result = new CachedHttpResponse((int)response.StatusCode, headers, body);
        context.NoCache = result.StatusCode >= 400 || _acceptResponse?.Invoke(request, result) == false;
        return result;
    }

    // One caller's request and its factory (see HttpCacheCall); the lead holds the origin's response for the caller.
    private sealed class Call(HttpCacheHandler owner, HttpRequestMessage request, CachedHttpResponse? headStale)
        : HttpCacheCall<HttpRequestMessage, StrongBox<HttpResponseMessage?>>(owner._time, headStale)
    {
        protected override HttpRequestMessage Record() => CopyRequest(request);

        protected override StrongBox<HttpResponseMessage?> NewLead() => new();

        // Conditional on the stale entry's validators: a 304 refreshes the entry, anything else is captured. The request
        // is copied each time: it is disposed, and the validators are added to it.
        protected override async Task<CachedHttpResponse> RefreshAsync(HttpRequestMessage recorded, CachedHttpResponse? stale, CacheFuncContext context, CancellationToken cancellationToken)
        {
            using var request = CopyRequest(recorded);
            bool conditional = HttpValidators.AddValidators(request, stale);
            using var response = await owner.SendToOriginAsync(request, cancellationToken).ConfigureAwait(false);
            if (!conditional || response.StatusCode != HttpStatusCode.NotModified)
            {
                return await owner.CaptureAsync(request, response, context, cancellationToken).ConfigureAwait(false);
            }

            var refreshed = HttpValidators.Refresh(stale!, HeaderList(response.Headers, response.Content.Headers), owner._time.GetUtcNow());
            if (!HttpResponsePolicy.IsShareable(refreshed, owner._varyCovers))
            {
                return HttpResponsePolicy.NotShared(context);
            }

            context.NoCache = owner._acceptResponse?.Invoke(request, refreshed) == false;
            HttpLog.Revalidated(owner._logger, LoggedKey.Of(context.Key));
            return refreshed;
        }

        protected override void LogRefreshSkipped(string key) => HttpLog.RefreshSkipped(owner._logger, LoggedKey.Of(key));

        protected override async Task<CachedHttpResponse> LeadAsync(StrongBox<HttpResponseMessage?> lead, CacheFuncContext context, CancellationToken cancellationToken)
        {
            HttpResponseMessage? response = await owner.SendToOriginAsync(request, cancellationToken).ConfigureAwait(false);
            try
            {
                var result = await owner.CaptureAsync(request, response, context, cancellationToken).ConfigureAwait(false);
                lock (Gate)
                {
                    if (IsLeading)
                    {
                        lead.Value = response;
                        response = null;
                    }
                }

                return result;
            }
            finally
            {
                // Only when the caller has gone (cancelled, or timed out) or capturing failed.
                response?.Dispose();
            }
        }
    }
}
