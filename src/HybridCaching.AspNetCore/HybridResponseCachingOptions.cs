using HybridCaching.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Extensions;

namespace HybridCaching.AspNetCore;

/// <summary>Settings of the response-caching middleware added by
/// <c>app.UseHybridResponseCaching(options)</c>; read once when the middleware is built.</summary>
/// <remarks>
/// <para>The safe defaults always apply before <see cref="AcceptRequest"/> and <see cref="AcceptResponse"/>:
/// only GET and HEAD requests without a body, an <c>Authorization</c> header or an authenticated user are cached
/// (place the middleware after authentication); responses with <c>Set-Cookie</c>, <c>Cache-Control: no-store</c>,
/// <c>private</c> or <c>no-cache</c>, <c>Vary: *</c>, status 206 or 304, or a body over <see cref="MaximumBodySize"/>
/// are neither stored nor shared with concurrent requests, and never served from the cache whoever stored them;
/// status 400 and above is shared but not stored. A response with another <c>Vary</c> is stored per variant.</para>
/// <para>A stored 2xx response carries a strong <c>ETag</c> (computed from its status and body unless the app set
/// one); a hit whose <c>If-None-Match</c> (or, without it, <c>If-Modified-Since</c>) holds is answered 304 Not
/// Modified. The request that runs the pipeline has those two headers removed, and gets the full response.</para>
/// </remarks>
public sealed class HybridResponseCachingOptions
{
    /// <summary>The default <see cref="MaximumBodySize"/>: 64 MB.</summary>
    public const long DefaultMaximumBodySize = 64L * 1024 * 1024;

    /// <summary>The default <see cref="MaximumVariants"/>: 100.</summary>
    public const int DefaultMaximumVariants = 100;

    private readonly Dictionary<string, HybridResponseCachePolicy> _policies = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Where responses are stored; the middleware builds its <see cref="HybridCaching.CacheFunc"/> over it,
    /// and answers HEAD requests from it.</summary>
    /// <value>Required unless <see cref="CacheFunc"/> is set (then set it to the adapter that function runs on, or HEAD
    /// requests pass through uncached); not disposed by the middleware.</value>
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

    /// <summary>Further limits which responses are stored (the safe defaults apply first), given the context the
    /// response was produced on; a refused response is still handed to the requests waiting on it.</summary>
    /// <value>Default: every response the safe defaults allow.</value>
    public Func<HttpContext, CachedHttpResponse, bool>? AcceptResponse { get; set; }

    /// <summary>Answers a request that failed for a reason it did not cause itself: a <see cref="TimeoutException"/>
    /// (past <see cref="WaitFor"/>) or the exception of another request's pipeline it waited for (on any server). It
    /// may write a response or rethrow; exceptions of the request's own pipeline always propagate unchanged.</summary>
    /// <value>Default: none — a timeout answers 504 Gateway Timeout (when the response has not started);
    /// other exceptions propagate.</value>
    public Func<HttpContext, Exception, Task>? ErrorHandler { get; set; }

    /// <summary>The largest response body that is buffered, shared and stored; a larger one streams through
    /// uncached and no more than this is ever buffered.</summary>
    /// <value>From 0 to <see cref="Array.MaxLength"/>; default <see cref="DefaultMaximumBodySize"/> (64 MB).</value>
    public long MaximumBodySize { get; set; } = DefaultMaximumBodySize;

    /// <summary>How many live responses varied by request headers (by a policy's <c>VaryByHeader</c> or a response's
    /// <c>Vary</c>) this server stores under one key; past it, a response for a new value is sent and shared but not
    /// stored (warning 4006, once) until a stored variant's TTL has passed.</summary>
    /// <value>At least 1; default <see cref="DefaultMaximumVariants"/>. Raise it for a header with many legitimate
    /// values (a tenant id); each server counts its own.</value>
    /// <remarks>Each value of a varied header is a full copy of the response: the bound stops a client from making
    /// one per value it sends. The count is kept per process for up to 10,000 keys, the least recently used dropped
    /// first. Values longer than 128 characters once encoded appear in keys as a digest.</remarks>
    public int MaximumVariants { get; set; } = DefaultMaximumVariants;

    /// <summary>Whether only endpoints that opted in (with <c>CacheHybridResponse(...)</c> or
    /// <see cref="CacheHybridResponseAttribute"/>) are cached.</summary>
    /// <value>Default <see langword="false"/>: every request the safe defaults allow is cached, as by the Go original
    /// (an endpoint's policy changes how). When <see langword="true"/>, any other request passes through untouched. The
    /// middleware must come after <c>UseRouting()</c> to see the endpoint; placed before it, requests pass through
    /// uncached and warning 4005 says so.</value>
    public bool EndpointsOnly { get; set; }

    internal IReadOnlyDictionary<string, HybridResponseCachePolicy> Policies => _policies;

    /// <summary>The default cache key: the request's absolute URL — scheme, host (with port), path base, path and
    /// query string, as <see cref="UriHelper.GetEncodedUrl"/> builds it.</summary>
    /// <param name="context">The request's context.</param>
    /// <returns>The key.</returns>
    /// <remarks>The Go original keys on the path and query only; to share entries with a Go service, use
    /// <c>context => context.Request.Path + context.Request.QueryString</c> or whatever the Go side uses.</remarks>
    public static string DefaultRequestKey(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.Request.GetEncodedUrl();
    }

    /// <summary>Registers a named policy for <c>CacheHybridResponse("name")</c> and
    /// <see cref="CacheHybridResponseAttribute.PolicyName"/>.</summary>
    /// <param name="name">The name, compared case-insensitively; not registered before.</param>
    /// <param name="configure">Sets the policy; run once, here.</param>
    /// <returns>These options.</returns>
    /// <exception cref="ArgumentException">The name is already registered.</exception>
    /// <exception cref="InvalidOperationException">The policy has a non-positive duration or an empty name or tag.</exception>
    public HybridResponseCachingOptions AddPolicy(string name, Action<HybridResponseCachePolicy> configure)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(configure);
        var policy = new HybridResponseCachePolicy();
        configure(policy);
        policy.Validate($"Policy '{name}'");
        if (!_policies.TryAdd(name, policy))
        {
            throw new ArgumentException($"A hybrid response-caching policy named '{name}' is already registered.", nameof(name));
        }

        return this;
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
