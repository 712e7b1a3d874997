using HybridCaching.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Extensions;

namespace HybridCaching.AspNetCore;

/// <summary>Settings of the response-caching middleware added by
/// <c>app.UseHybridResponseCaching(options)</c>; read once when the middleware is built.</summary>
/// <remarks>
/// <para>Set <see cref="Cache"/> (with <see cref="WaitFor"/>, <see cref="FreshFor"/> and <see cref="Ttl"/>),
/// or <see cref="CacheFunc"/> together with the <see cref="Cache"/> it runs on.</para>
/// <para>The safe defaults always apply before <see cref="AcceptRequest"/> and <see cref="AcceptResponse"/>:
/// only GET and HEAD requests without a body, without an <c>Authorization</c> header and without an
/// authenticated user are cached (place the middleware after authentication for the last check to see the
/// user); responses with <c>Set-Cookie</c>, <c>Cache-Control: no-store</c>, <c>private</c> or <c>no-cache</c>,
/// <c>Vary: *</c>, status 206 or 304, or a body over <see cref="MaximumBodySize"/> are neither stored nor shared
/// with concurrent requests; status 400 and above is shared with concurrent requests but not stored. A stored
/// response (or another server's lock result) with those headers or statuses is never served either, whoever wrote
/// it (the Go original stores them): the request runs the pipeline instead. A response with another <c>Vary</c> is
/// stored per variant and served only to requests with the same values of the headers it names.</para>
/// <para>Endpoints may carry their own policy (<c>CacheHybridResponse(...)</c>, <see cref="CacheHybridResponseAttribute"/>,
/// <see cref="AddPolicy"/>); with <see cref="EndpointsOnly"/> only those are cached.</para>
/// <para>A stored 2xx response carries a strong <c>ETag</c> computed from its status and body unless the app set
/// one; a GET or HEAD answered from the cache whose <c>If-None-Match</c> matches it (or, without that header, whose
/// <c>If-Modified-Since</c> is not older than the stored <c>Last-Modified</c>) is answered 304 Not Modified without
/// running the pipeline. The request that runs the pipeline has those two headers removed, and gets the full
/// response.</para>
/// </remarks>
public sealed partial class HybridResponseCachingOptions
{
    /// <summary>The default <see cref="MaximumBodySize"/>: 64 MB.</summary>
    public const long DefaultMaximumBodySize = 64L * 1024 * 1024;

    /// <summary>The default <see cref="MaximumVariants"/>: 100.</summary>
    public const int DefaultMaximumVariants = 100;

    /// <summary>Where responses are stored; the middleware builds its <see cref="HybridCaching.CacheFunc"/> over it,
    /// and answers HEAD requests from it (they never run through the cache function).</summary>
    /// <value>Required unless <see cref="CacheFunc"/> is set; not disposed by the middleware. With
    /// <see cref="CacheFunc"/>, set it to the adapter that cache function runs on, or HEAD requests are never
    /// answered from the cache (they pass through uncached).</value>
    public ICacheAdapter? Cache { get; set; }

    /// <summary>A ready cache function to use instead of building one over <see cref="Cache"/> with the three durations.</summary>
    /// <value>Default none; give it the same clock as <see cref="TimeProvider"/>.</value>
    public CacheFunc? CacheFunc { get; set; }

    /// <summary>How long the rest of the pipeline may take to produce a response that other requests wait for;
    /// after that, the waiting requests get a timeout (504 by default, see <see cref="ErrorHandler"/>).</summary>
    /// <value>Positive; default 20 seconds. Ignored when <see cref="CacheFunc"/> is set.</value>
    public TimeSpan WaitFor { get; set; } = CacheDurations.Default.WaitFor;

    /// <summary>How long a stored response is fresh; after that it is served stale and refreshed in the background.</summary>
    /// <value>Positive; default 1 minute. Ignored when <see cref="CacheFunc"/> is set.</value>
    public TimeSpan FreshFor { get; set; } = CacheDurations.Default.FreshFor;

    /// <summary>How long a response stays stored; a long TTL keeps serving stale responses while the app fails
    /// ("always online").</summary>
    /// <value>Positive; default 1 hour. Ignored when <see cref="CacheFunc"/> is set.</value>
    public TimeSpan Ttl { get; set; } = CacheDurations.Default.Ttl;

    /// <summary>The clock for freshness, <c>Age</c> and timeouts.</summary>
    /// <value>Default <see cref="TimeProvider.System"/>.</value>
    public TimeProvider? TimeProvider { get; set; }

    /// <summary>Computes the cache key of a request.</summary>
    /// <value>Default <see cref="DefaultRequestKey"/>. A null or empty key lets the request through uncached.</value>
    public Func<HttpContext, string>? RequestKey { get; set; }

    /// <summary>Further limits which requests are cached (the safe defaults apply first).</summary>
    /// <value>Default: every request the safe defaults allow.</value>
    public Func<HttpContext, bool>? AcceptRequest { get; set; }

    /// <summary>Further limits which responses are stored (the safe defaults apply first). The context is the
    /// one the response was produced on (a fresh one for a background refresh). A refused response is still
    /// handed to the requests waiting on it; it is just not stored.</summary>
    /// <value>Default: every response the safe defaults allow.</value>
    public Func<HttpContext, CachedHttpResponse, bool>? AcceptResponse { get; set; }

    /// <summary>
    /// Answers a request that failed for a reason it did not cause itself: a <see cref="TimeoutException"/> (the
    /// response it waited for took longer than <see cref="WaitFor"/>) or the exception another request's pipeline
    /// threw while this one waited for it (on this server, or on another one sharing a Redis cache). It may
    /// write a response or rethrow. Exceptions of the request's own pipeline always propagate unchanged.
    /// </summary>
    /// <value>Default: none — a timeout answers 504 Gateway Timeout (when the response has not started);
    /// other exceptions propagate.</value>
    public Func<HttpContext, Exception, Task>? ErrorHandler { get; set; }

    /// <summary>The largest response body that is buffered, shared and stored; a larger one streams through
    /// uncached and no more than this is ever buffered.</summary>
    /// <value>From 0 to <see cref="Array.MaxLength"/>; default <see cref="DefaultMaximumBodySize"/> (64 MB).</value>
    public long MaximumBodySize { get; set; } = DefaultMaximumBodySize;

    /// <summary>How many responses varied by request headers — one per value of a policy's <c>VaryByHeader</c>
    /// headers, and one per value of the headers a response's <c>Vary</c> names (besides the first response, stored
    /// under the key itself) — this server stores under one key (the key without its header values) and keeps alive
    /// at a time. Past it, a response for a new value is still sent, and shared with the requests waiting on it, but
    /// not stored (warning 4006, once); once a stored variant's TTL has passed, its place is free again.</summary>
    /// <value>At least 1; default <see cref="DefaultMaximumVariants"/>. Raise it for a header with many legitimate
    /// values (a tenant id); with several servers sharing a cache, each counts its own, so the cache holds at most
    /// servers × this many variants of a key.</value>
    /// <remarks>Each value of a varied header is a full copy of the response: without a bound, a client sending
    /// 10,000 <c>Accept-Language</c> values made 10,000 copies. The count is kept per process (no round trip on a
    /// miss, any adapter) for up to 10,000 keys at a time, the least recently used dropped first; a key dropped from
    /// that record may be given up to this many variants again. Values of a varied header longer than 128 characters
    /// once encoded appear in keys as a digest, so key names stay short whatever a request sends.</remarks>
    public int MaximumVariants { get; set; } = DefaultMaximumVariants;

    /// <summary>The default cache key: the request's absolute URL — scheme, host (with port), path base, path and
    /// query string, as <see cref="UriHelper.GetEncodedUrl"/> builds it.</summary>
    /// <param name="context">The request's context.</param>
    /// <returns>The key.</returns>
    /// <remarks>The Go original's middleware keys on the path and query only (a Go server sees no scheme or
    /// host in its request URL); to share entries with a Go service, use
    /// <c>context => context.Request.Path + context.Request.QueryString</c> or whatever the Go side uses.</remarks>
    public static string DefaultRequestKey(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.Request.GetEncodedUrl();
    }

    internal void Validate()
    {
        if (Cache is null && CacheFunc is null)
        {
            throw new ArgumentException($"Set {nameof(Cache)} or {nameof(CacheFunc)}.", nameof(Cache));
        }

        if (CacheFunc is null)
        {
            new CacheDurations(WaitFor, FreshFor, Ttl).Validate();
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaximumVariants, nameof(MaximumVariants));
        ArgumentOutOfRangeException.ThrowIfNegative(MaximumBodySize, nameof(MaximumBodySize));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaximumBodySize, Array.MaxLength, nameof(MaximumBodySize));
    }
}
