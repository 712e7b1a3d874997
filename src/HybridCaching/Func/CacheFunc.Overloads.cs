namespace HybridCaching;

// The public DoAsync overloads: each is one Invocation (factory, state, entry options, tags) handed to the one core path,
// DoCoreAsync. A lambda without state becomes the state of a static adapter, so it costs its own closure and nothing more.
public sealed partial class CacheFunc
{
    /// <summary>Returns the cached value for <paramref name="key"/>, or runs <paramref name="fn"/> once
    /// (for all concurrent callers) and caches its result.</summary>
    /// <typeparam name="T">The value type; null is a value and is cached.</typeparam>
    /// <param name="key">The cache key; not null or empty.</param>
    /// <param name="fn">The factory; its token fires when waitFor passes or every waiting caller has cancelled.</param>
    /// <param name="cancellationToken">Cancels this caller's wait only.</param>
    /// <returns>The value.</returns>
    /// <exception cref="TimeoutException">The factory did not finish within waitFor.</exception>
    /// <remarks>A lambda that captures variables allocates its closure on every call, hits included; the overload
    /// taking a state (<see cref="DoAsync{TState, T}(string, TState, Func{TState, CancellationToken, Task{T}}, CancellationToken)"/>)
    /// with a <see langword="static"/> lambda does not.</remarks>
    public ValueTask<T> DoAsync<T>(string key, Func<CancellationToken, Task<T>> fn, CancellationToken cancellationToken = default)
        => DoAsync<T>(key, fn, options: null, cancellationToken);

    /// <summary>Like <see cref="DoAsync{T}(string, Func{CancellationToken, Task{T}}, CancellationToken)"/>, with
    /// freshFor and ttl overrides for the value this call (or a background refresh it starts) writes.</summary>
    /// <typeparam name="T">The value type; null is a value and is cached.</typeparam>
    /// <param name="key">The cache key; not null or empty.</param>
    /// <param name="fn">The factory.</param>
    /// <param name="options">Overrides for this call; null keeps the <see cref="CacheFunc"/>'s settings.</param>
    /// <param name="cancellationToken">Cancels this caller's wait only.</param>
    /// <returns>The value.</returns>
    /// <exception cref="TimeoutException">The factory did not finish within waitFor.</exception>
    public ValueTask<T> DoAsync<T>(string key, Func<CancellationToken, Task<T>> fn, CacheEntryOptions? options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(fn);
        return DoCoreAsync<T, SerializerPayloadFormat<T>, Func<CancellationToken, Task<T>>>(
            key, new(static (fn, _, token) => fn(token), fn, options, readsContext: false), SerializerFormat<T>(), cancellationToken);
    }

    /// <summary>Like <see cref="DoAsync{T}(string, Func{CancellationToken, Task{T}}, CancellationToken)"/>, with a
    /// factory that learns whether it runs as a background refresh (and the stale value it replaces) and can ask that its
    /// result not be cached.</summary>
    /// <typeparam name="T">The value type; null is a value and is cached.</typeparam>
    /// <param name="key">The cache key; not null or empty.</param>
    /// <param name="fn">The factory; set <see cref="CacheFuncContext.NoCache"/> to skip storing its result.</param>
    /// <param name="cancellationToken">Cancels this caller's wait only.</param>
    /// <returns>The value.</returns>
    /// <exception cref="TimeoutException">The factory did not finish within waitFor.</exception>
    public ValueTask<T> DoAsync<T>(string key, Func<CacheFuncContext, CancellationToken, Task<T>> fn, CancellationToken cancellationToken = default)
        => DoAsync<T>(key, fn, options: null, cancellationToken);

    /// <summary>Like <see cref="DoAsync{T}(string, Func{CacheFuncContext, CancellationToken, Task{T}}, CancellationToken)"/>,
    /// with freshFor and ttl overrides for the value this call (or a background refresh it starts) writes; the factory
    /// sees them on its <see cref="CacheFuncContext"/> and may change them again.</summary>
    /// <typeparam name="T">The value type; null is a value and is cached.</typeparam>
    /// <param name="key">The cache key; not null or empty.</param>
    /// <param name="fn">The factory.</param>
    /// <param name="options">Overrides for this call; null keeps the <see cref="CacheFunc"/>'s settings.</param>
    /// <param name="cancellationToken">Cancels this caller's wait only.</param>
    /// <returns>The value.</returns>
    /// <exception cref="TimeoutException">The factory did not finish within waitFor.</exception>
    public ValueTask<T> DoAsync<T>(string key, Func<CacheFuncContext, CancellationToken, Task<T>> fn, CacheEntryOptions? options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(fn);
        return DoAsync(key, fn, static (fn, context, token) => fn(context, token), options, tags: null, cancellationToken);
    }

    /// <summary>Like <see cref="DoAsync{T}(string, Func{CacheFuncContext, CancellationToken, Task{T}}, CancellationToken)"/>,
    /// storing <paramref name="tags"/> with the result: <see cref="RemoveByTagAsync(string, CancellationToken)"/> on any of
    /// them makes it a miss.</summary>
    /// <typeparam name="T">The value type; null is a value and is cached.</typeparam>
    /// <param name="key">The cache key; not null or empty.</param>
    /// <param name="tags">The entry's tags; none null, empty or with an unpaired surrogate (they are stored as UTF-8).</param>
    /// <param name="fn">The factory (it may change <see cref="CacheFuncContext.Tags"/>).</param>
    /// <param name="cancellationToken">Cancels this caller's wait only.</param>
    /// <returns>The value.</returns>
    public ValueTask<T> DoAsync<T>(string key, IReadOnlyCollection<string> tags, Func<CacheFuncContext, CancellationToken, Task<T>> fn, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tags);
        TagInvalidations.ThrowIfInvalid(tags);
        ArgumentNullException.ThrowIfNull(fn);
        return DoCoreAsync<T, SerializerPayloadFormat<T>, Func<CacheFuncContext, CancellationToken, Task<T>>>(
            key, new(static (fn, context, token) => fn(context, token), fn, tags: tags), SerializerFormat<T>(), cancellationToken);
    }

    /// <summary>Like <see cref="DoAsync{T}(string, Func{CancellationToken, Task{T}}, CancellationToken)"/>, passing
    /// <paramref name="state"/> to the factory: with a <see langword="static"/> lambda, a hit allocates nothing for the
    /// call (as <c>HybridCache.GetOrCreateAsync&lt;TState, T&gt;</c>).</summary>
    /// <typeparam name="TState">What the factory needs (a tuple of several values allocates nothing either).</typeparam>
    /// <typeparam name="T">The value type; null is a value and is cached.</typeparam>
    /// <param name="key">The cache key; not null or empty.</param>
    /// <param name="state">Passed to <paramref name="fn"/> when it runs (a background refresh included).</param>
    /// <param name="fn">The factory; its token fires when waitFor passes or every waiting caller has cancelled.</param>
    /// <param name="cancellationToken">Cancels this caller's wait only.</param>
    /// <returns>The value.</returns>
    /// <exception cref="TimeoutException">The factory did not finish within waitFor.</exception>
    public ValueTask<T> DoAsync<TState, T>(string key, TState state, Func<TState, CancellationToken, Task<T>> fn, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(fn);
        return DoCoreAsync<T, SerializerPayloadFormat<T>, (Func<TState, CancellationToken, Task<T>> fn, TState state)>(
            key, new(static (call, _, token) => call.fn(call.state, token), (fn, state), readsContext: false), SerializerFormat<T>(), cancellationToken);
    }

    /// <summary>Like <see cref="DoAsync{TState, T}(string, TState, Func{TState, CancellationToken, Task{T}}, CancellationToken)"/>,
    /// with a factory that receives a <see cref="CacheFuncContext"/>.</summary>
    /// <typeparam name="TState">What the factory needs.</typeparam>
    /// <typeparam name="T">The value type; null is a value and is cached.</typeparam>
    /// <param name="key">The cache key; not null or empty.</param>
    /// <param name="state">Passed to <paramref name="fn"/> when it runs (a background refresh included).</param>
    /// <param name="fn">The factory; set <see cref="CacheFuncContext.NoCache"/> to skip storing its result.</param>
    /// <param name="cancellationToken">Cancels this caller's wait only.</param>
    /// <returns>The value.</returns>
    /// <exception cref="TimeoutException">The factory did not finish within waitFor.</exception>
    public ValueTask<T> DoAsync<TState, T>(string key, TState state, Func<TState, CacheFuncContext, CancellationToken, Task<T>> fn, CancellationToken cancellationToken = default)
        => DoAsync(key, state, fn, options: null, tags: null, cancellationToken);

    /// <summary>Like <see cref="DoAsync{TState, T}(string, TState, Func{TState, CacheFuncContext, CancellationToken, Task{T}}, CancellationToken)"/>,
    /// with freshFor and ttl overrides and tags for the value this call (or a background refresh it starts) writes.</summary>
    /// <typeparam name="TState">What the factory needs.</typeparam>
    /// <typeparam name="T">The value type; null is a value and is cached.</typeparam>
    /// <param name="key">The cache key; not null or empty.</param>
    /// <param name="state">Passed to <paramref name="fn"/> when it runs (a background refresh included).</param>
    /// <param name="fn">The factory; it sees the options and tags on its <see cref="CacheFuncContext"/> and may change them.</param>
    /// <param name="options">Overrides for this call; null keeps the <see cref="CacheFunc"/>'s settings.</param>
    /// <param name="tags">The entry's tags, or null; none null, empty or with an unpaired surrogate (they are stored as UTF-8).</param>
    /// <param name="cancellationToken">Cancels this caller's wait only.</param>
    /// <returns>The value.</returns>
    /// <exception cref="TimeoutException">The factory did not finish within waitFor.</exception>
    public ValueTask<T> DoAsync<TState, T>(string key, TState state, Func<TState, CacheFuncContext, CancellationToken, Task<T>> fn, CacheEntryOptions? options, IReadOnlyCollection<string>? tags, CancellationToken cancellationToken = default)
    {
        TagInvalidations.ThrowIfInvalid(tags);
        ArgumentNullException.ThrowIfNull(fn);
        return DoCoreAsync<T, SerializerPayloadFormat<T>, TState>(key, new(fn, state, options, tags), SerializerFormat<T>(), cancellationToken);
    }

    // With a custom payload format (e.g. one that stores HTTP status codes and headers in the envelope).
    internal ValueTask<T> DoAsync<TState, T>(string key, TState state, Func<TState, CacheFuncContext, CancellationToken, Task<T>> fn, ICachePayloadFormat<T> format, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(fn);
        ArgumentNullException.ThrowIfNull(format);
        return DoCoreAsync<T, ICachePayloadFormat<T>, TState>(key, new(fn, state), format, cancellationToken);
    }

    /// <summary>Like <see cref="DoAsync{T}(string, Func{CancellationToken, Task{T}}, CancellationToken)"/> for raw
    /// bytes, stored as they are (no serializer); a null result is stored and returned as an empty array.</summary>
    /// <param name="key">The cache key; not null or empty.</param>
    /// <param name="fn">The factory.</param>
    /// <param name="cancellationToken">Cancels this caller's wait only.</param>
    /// <returns>The bytes.</returns>
    public ValueTask<byte[]> DoBytesAsync(string key, Func<CancellationToken, Task<byte[]>> fn, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(fn);
        return DoCoreAsync<byte[], RawBytesPayloadFormat, Func<CancellationToken, Task<byte[]>>>(
            key, new(static (fn, _, token) => fn(token), fn, readsContext: false), default, cancellationToken);
    }

    /// <summary>Like <see cref="DoBytesAsync(string, Func{CancellationToken, Task{byte[]}}, CancellationToken)"/>, with a
    /// factory that receives a <see cref="CacheFuncContext"/>.</summary>
    /// <param name="key">The cache key; not null or empty.</param>
    /// <param name="fn">The factory.</param>
    /// <param name="cancellationToken">Cancels this caller's wait only.</param>
    /// <returns>The bytes.</returns>
    public ValueTask<byte[]> DoBytesAsync(string key, Func<CacheFuncContext, CancellationToken, Task<byte[]>> fn, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(fn);
        return DoCoreAsync<byte[], RawBytesPayloadFormat, Func<CacheFuncContext, CancellationToken, Task<byte[]>>>(
            key, new(static (fn, context, token) => fn(context, token), fn), default, cancellationToken);
    }
}
