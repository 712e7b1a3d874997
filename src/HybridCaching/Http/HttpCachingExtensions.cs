namespace HybridCaching.Http;

/// <summary>
/// Caches <see cref="CachedHttpResponse"/> values in the payload envelope the Go original stores HTTP responses in (the
/// body as the value, plus the status code and headers), applying the safe defaults to every response read back: for
/// building an HTTP cache of your own on <see cref="CacheFunc"/>, as <see cref="HttpCacheHandler"/> and the ASP.NET Core
/// middleware are.
/// </summary>
/// <remarks>
/// A response read back, whoever wrote it (the Go original stores every response), is used only when the safe defaults
/// let it be shared: not status 206 or 304, no <c>Set-Cookie</c>, no <c>Cache-Control</c> <c>no-store</c>,
/// <c>private</c> or <c>no-cache</c>, and no <c>Vary</c> naming <c>*</c> (nor, unless the caller matches the request
/// headers a <c>Vary</c> names itself, any <c>Vary</c>). Any other entry, including one that holds no HTTP response (a
/// plain <see cref="CacheFunc.DoAsync{T}(string, Func{CancellationToken, Task{T}}, CancellationToken)"/> value under the
/// same key), is a miss.
/// </remarks>
public static class HttpCachingExtensions
{
    /// <summary>Like
    /// <see cref="CacheFunc.DoAsync{TState, T}(string, TState, Func{TState, CacheFuncContext, CancellationToken, Task{T}}, CancellationToken)"/>
    /// for an HTTP response, stored in the Go original's HTTP envelope: a fresh entry is returned, a stale one is
    /// returned and refreshed in the background by <paramref name="fn"/>, and concurrent callers (on every server sharing
    /// the cache) wait for one run of <paramref name="fn"/>.</summary>
    /// <typeparam name="TState">The type of <paramref name="state"/>.</typeparam>
    /// <param name="func">The cache function.</param>
    /// <param name="key">The cache key; not null or empty.</param>
    /// <param name="state">Passed to <paramref name="fn"/>, so it need not capture anything.</param>
    /// <param name="fn">Produces the response (from the origin). It must not return one the safe defaults refuse (see
    /// remarks on <see cref="HttpCachingExtensions"/>): it returns <see cref="CachedHttpResponse.Bypass"/> instead, sends
    /// the real response to its own client itself, and sets <see cref="CacheFuncContext.Ttl"/> or the other context
    /// settings as for any value.</param>
    /// <param name="callerMatchesVary"><see langword="true"/> when the caller checks itself that its request has the
    /// values of the request headers a response's <c>Vary</c> names (e.g. by keying each variant apart), so such responses
    /// are returned; <see langword="false"/> to treat any response with <c>Vary</c> as a miss.</param>
    /// <param name="cancellationToken">Cancels this caller's wait only.</param>
    /// <returns>The response: <paramref name="fn"/>'s, a stored one (its <see cref="CachedHttpResponse.BestBefore"/>
    /// set), or <see cref="CachedHttpResponse.Bypass"/> from a concurrent run whose response must not be shared, in which
    /// case the caller sends its own request to the origin.</returns>
    /// <exception cref="TimeoutException"><paramref name="fn"/> did not finish within the function's waitFor.</exception>
    public static ValueTask<CachedHttpResponse> DoHttpResponseAsync<TState>(
        this CacheFunc func,
        string key,
        TState state,
        Func<TState, CacheFuncContext, CancellationToken, Task<CachedHttpResponse>> fn,
        bool callerMatchesVary,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(func);
        return func.DoAsync(key, state, fn, Format(callerMatchesVary), cancellationToken);
    }

    /// <summary>Reads the response stored under <paramref name="key"/> as it is, without a cache function: nothing runs,
    /// waits or is refreshed (e.g. to answer a HEAD request, which should not start a run that GET requests would wait
    /// for).</summary>
    /// <param name="cache">The cache the responses are stored in.</param>
    /// <param name="key">The cache key; not null or empty.</param>
    /// <param name="callerMatchesVary">As for <see cref="DoHttpResponseAsync"/>.</param>
    /// <param name="timeProvider">The clock the entries' tags are checked by; default <see cref="TimeProvider.System"/>.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The stored response, fresh or stale (see <see cref="CachedHttpResponse.BestBefore"/>); <see langword="null"/>
    /// when there is none, the entry is not a response the safe defaults share, or it carries a tag removed
    /// (<see cref="CacheFunc.RemoveByTagAsync(string, CancellationToken)"/>) after it was written.</returns>
    /// <remarks>A failing read throws, as the cache's <see cref="ICacheAdapter.GetAsync"/> does.</remarks>
    public static async ValueTask<CachedHttpResponse?> GetHttpResponseAsync(
        this ICacheAdapter cache,
        string key,
        bool callerMatchesVary,
        TimeProvider? timeProvider = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(cache);
        CacheArgument.ThrowIfInvalidKey(key);
        byte[]? stored = await cache.GetAsync(key, cancellationToken).ConfigureAwait(false);

        // Parsed once: bytes that are no entry, an entry carrying a tag removed after it was written, and one that is no
        // response the safe defaults share are misses.
        var invalidations = new TagInvalidations(cache, timeProvider ?? TimeProvider.System);
        return stored is not null && CachePayload.TryRead(stored, out var payload)
            && invalidations.Check(payload) switch
            {
                TagInvalidations.State.Unknown => await invalidations.IsValidAsync(payload.ReadTags(), payload.Written, cancellationToken).ConfigureAwait(false),
                var known => known == TagInvalidations.State.Valid,
            }
            && Format(callerMatchesVary).TryRead(payload, out var cached) && !cached.IsBypass
                ? cached
                : null;
    }

    private static CachedHttpResponseFormat Format(bool callerMatchesVary)
        => callerMatchesVary ? CachedHttpResponseFormat.VaryAllowed : CachedHttpResponseFormat.Instance;
}
