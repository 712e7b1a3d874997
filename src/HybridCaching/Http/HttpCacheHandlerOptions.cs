using Microsoft.Extensions.Logging;

namespace HybridCaching.Http;

/// <summary>Settings of an <see cref="HttpCacheHandler"/>.</summary>
/// <remarks>
/// Set <see cref="Cache"/> (with the three durations), or <see cref="CacheFunc"/> with the <see cref="Cache"/> it runs on.
/// The safe defaults apply before <see cref="AcceptRequest"/> and <see cref="AcceptResponse"/>: only GET and HEAD without
/// content, <c>Authorization</c> or a validator of the caller's own (<c>If-None-Match</c>, <c>If-Modified-Since</c>,
/// <c>If-Match</c>, <c>If-Unmodified-Since</c>, <c>If-Range</c>) are cached; responses with <c>Set-Cookie</c>,
/// <c>Cache-Control: no-store</c>, <c>private</c> or <c>no-cache</c>, <c>Vary</c> (unless it names only
/// <see cref="VaryByRequestHeaders"/>), status 206 or 304, or a body over <see cref="MaximumBodySize"/> are neither stored
/// nor shared; status 400 and above is shared with concurrent waiters but not stored. A stored response (or another
/// server's lock result) breaking these rules is never served, whoever wrote it: the request goes to the origin.
/// </remarks>
public sealed class HttpCacheHandlerOptions
{
    /// <summary>The default <see cref="MaximumBodySize"/>: 64 MB.</summary>
    public const long DefaultMaximumBodySize = 64L * 1024 * 1024;

    /// <summary>Where responses are stored; the handler builds its <see cref="HybridCaching.CacheFunc"/> over it and
    /// answers HEAD requests from it.</summary>
    /// <value>Required unless <see cref="CacheFunc"/> is set (then the adapter it runs on, or HEAD requests pass through
    /// uncached); not disposed by the handler.</value>
    public ICacheAdapter? Cache { get; set; }

    /// <summary>A ready cache function to use instead of building one over <see cref="Cache"/> with the three durations.</summary>
    /// <value>Default none. Set it to share one single-flight group among the handlers <c>IHttpClientFactory</c>
    /// creates over time; give it the same clock as <see cref="TimeProvider"/>.</value>
    public CacheFunc? CacheFunc { get; set; }

    /// <summary>How long a request to the origin (and every caller waiting on it) may take.</summary>
    /// <value>Positive; default 20 seconds. Ignored when <see cref="CacheFunc"/> is set.</value>
    public TimeSpan WaitFor { get; set; } = CacheDurations.Default.WaitFor;

    /// <summary>How long a stored response is fresh; after that it is served stale and refreshed in the background.</summary>
    /// <value>Positive; default 1 minute. Ignored when <see cref="CacheFunc"/> is set.</value>
    public TimeSpan FreshFor { get; set; } = CacheDurations.Default.FreshFor;

    /// <summary>How long a response stays stored; a long TTL keeps serving stale responses while the origin is down.</summary>
    /// <value>Positive; default 1 hour. Ignored when <see cref="CacheFunc"/> is set.</value>
    public TimeSpan Ttl { get; set; } = CacheDurations.Default.Ttl;

    /// <summary>The clock for freshness, <c>Age</c> and timeouts.</summary>
    /// <value>Default <see cref="TimeProvider.System"/>.</value>
    public TimeProvider? TimeProvider { get; set; }

    /// <summary>Where background failures are logged.</summary>
    /// <value>Default: none.</value>
    public ILogger? Logger { get; set; }

    /// <summary>Computes the cache key of a request.</summary>
    /// <value>Default <see cref="DefaultRequestKey"/>. A null or empty key sends the request uncached.</value>
    public Func<HttpRequestMessage, string>? RequestKey { get; set; }

    /// <summary>Further limits which requests are cached (the safe defaults apply first).</summary>
    /// <value>Default: every request the safe defaults allow.</value>
    public Func<HttpRequestMessage, bool>? AcceptRequest { get; set; }

    /// <summary>Further limits which responses are stored (the safe defaults apply first). A refused response is
    /// still handed to the requests waiting on it; it is just not stored.</summary>
    /// <value>Default: every response the safe defaults allow.</value>
    public Func<HttpRequestMessage, CachedHttpResponse, bool>? AcceptResponse { get; set; }

    /// <summary>Turns a failure this request did not cause into a response: a <see cref="TimeoutException"/> (past
    /// <see cref="WaitFor"/>) or the exception of another caller's request it waited on; <see langword="null"/> rethrows.</summary>
    /// <value>Default: none (the exception propagates).</value>
    public Func<HttpRequestMessage, Exception, HttpResponseMessage?>? ErrorHandler { get; set; }

    /// <summary>Request headers the cache key varies by: requests that differ in one of them get separate entries.</summary>
    /// <value>Default empty: any response with <c>Vary</c> is neither stored nor shared. Names are case-insensitive, in
    /// any order. A response whose <c>Vary</c> names only these headers is stored per variant; any other (or
    /// <c>Vary: *</c>) still is not. With headers listed, keys no longer match a Go service's.</value>
    public IList<string> VaryByRequestHeaders { get; } = new List<string>();

    /// <summary>The largest response body that is buffered and stored; larger ones stream through uncached.</summary>
    /// <value>From 0 to <see cref="Array.MaxLength"/>; default <see cref="DefaultMaximumBodySize"/> (64 MB).</value>
    public long MaximumBodySize { get; set; } = DefaultMaximumBodySize;

    /// <summary>The default cache key: the request URL's scheme, host, non-default port, path and query
    /// (no user info, no fragment).</summary>
    /// <param name="request">The request.</param>
    /// <returns>The key, or an empty string when the request has no absolute URI.</returns>
    public static string DefaultRequestKey(HttpRequestMessage request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return request.RequestUri is { IsAbsoluteUri: true } uri
            ? uri.GetComponents(UriComponents.HttpRequestUrl, UriFormat.UriEscaped)
            : string.Empty;
    }

    internal CacheDurations Durations => new(WaitFor, FreshFor, Ttl);

    internal void Validate()
    {
        if (Cache is null && CacheFunc is null)
        {
            throw new ArgumentException($"Set {nameof(Cache)} or {nameof(CacheFunc)}.", nameof(Cache));
        }

        if (CacheFunc is null)
        {
            Durations.Validate();
        }

        foreach (string name in VaryByRequestHeaders)
        {
            if (string.IsNullOrWhiteSpace(name) || name.Contains(':', StringComparison.Ordinal) || name.Trim() == "*")
            {
                throw new ArgumentException($"{nameof(VaryByRequestHeaders)} holds an invalid header name: '{name}'.", nameof(VaryByRequestHeaders));
            }
        }

        ArgumentOutOfRangeException.ThrowIfNegative(MaximumBodySize, nameof(MaximumBodySize));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaximumBodySize, Array.MaxLength, nameof(MaximumBodySize));
    }
}
