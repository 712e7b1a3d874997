namespace HybridCaching.Http;

/// <summary>
/// Caches <see cref="CachedHttpResponse"/> values in the Go original's HTTP payload envelope, applying the safe defaults
/// to every response read back: for an HTTP cache of your own on <see cref="CacheFunc"/>, as
/// <see cref="HttpCacheHandler"/> and the ASP.NET Core middleware are.
/// </summary>
/// <remarks>
/// A response read back, whoever wrote it, is used only when the safe defaults let it be shared: not status 206 or 304,
/// no <c>Set-Cookie</c>, no <c>Cache-Control</c> <c>no-store</c>, <c>private</c> or <c>no-cache</c>, and no <c>Vary</c>
/// naming <c>*</c> (nor any <c>Vary</c>, unless the caller matches the request headers it names). Any other entry,
/// including one holding no HTTP response, is a miss.
/// </remarks>
public static class HttpCachingExtensions
{
    /// <summary>Like
    /// <see cref="CacheFunc.DoAsync{TState, T}(string, TState, Func{TState, CacheFuncContext, CancellationToken, Task{T}}, CancellationToken)"/>
    /// for an HTTP response, stored in the Go original's HTTP envelope.</summary>
    /// <typeparam name="TState">The type of <paramref name="state"/>.</typeparam>
    /// <param name="func">The cache function.</param>
    /// <param name="key">The cache key; not null or empty.</param>
    /// <param name="state">Passed to <paramref name="fn"/>, so it need not capture anything.</param>
    /// <param name="fn">Produces the response (from the origin). For one the safe defaults refuse, it returns
    /// <see cref="CachedHttpResponse.Bypass"/> instead and sends the real response to its own client itself.</param>
    /// <param name="callerMatchesVary"><see langword="true"/> when the caller itself matches the request headers a
    /// response's <c>Vary</c> names (e.g. by keying each variant apart); <see langword="false"/> to treat any response
    /// with <c>Vary</c> as a miss.</param>
    /// <param name="cancellationToken">Cancels this caller's wait only.</param>
    /// <returns><paramref name="fn"/>'s response, a stored one (its <see cref="CachedHttpResponse.BestBefore"/> set), or
    /// <see cref="CachedHttpResponse.Bypass"/> from a concurrent run whose response must not be shared.</returns>
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

    /// <summary>Reads the response stored under <paramref name="key"/> without a cache function: nothing runs, waits or
    /// is refreshed (e.g. to answer a HEAD request).</summary>
    /// <param name="cache">The cache the responses are stored in.</param>
    /// <param name="key">The cache key; not null or empty.</param>
    /// <param name="callerMatchesVary">As for <see cref="DoHttpResponseAsync"/>.</param>
    /// <param name="timeProvider">The clock the entries' tags are checked by; default <see cref="TimeProvider.System"/>.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The stored response, fresh or stale; <see langword="null"/> when there is none, it is not one the safe
    /// defaults share, or it carries a tag removed (<see cref="CacheFunc.RemoveByTagAsync(string, CancellationToken)"/>)
    /// after it was written.</returns>
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
        return await Format(callerMatchesVary).ReadStoredAsync(cache, key, timeProvider ?? TimeProvider.System, cancellationToken).ConfigureAwait(false);
    }

    private static CachedHttpResponseFormat Format(bool callerMatchesVary)
        => callerMatchesVary ? CachedHttpResponseFormat.VaryAllowed : CachedHttpResponseFormat.Instance;
}
