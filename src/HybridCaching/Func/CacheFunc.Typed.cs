namespace HybridCaching;

// The typed API beside DoAsync: reads without a factory, writes and removals.
public sealed partial class CacheFunc
{
    /// <summary>Reads the value stored under <paramref name="key"/> without a factory: nothing runs on a miss and
    /// a stale value is returned as it is (no background refresh starts).</summary>
    /// <typeparam name="T">The value type.</typeparam>
    /// <param name="key">The cache key; not null or empty.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>Whether a value was found, and the value. Like <c>DoAsync</c>, an entry that cannot be read as
    /// <typeparamref name="T"/> (garbage, another serializer's bytes), an entry invalidated by one of its tags
    /// (<see cref="RemoveByTagAsync(string, CancellationToken)"/>; tag times not read by half of waitFor count as invalidating) and a failing
    /// cache (logged; the read is bounded by waitFor) count as not found.</returns>
    /// <remarks>Each call decodes the stored bytes, so the caller gets its own copy even when values are reused
    /// by <c>DoAsync</c>.</remarks>
    public ValueTask<CacheGetResult<T>> TryGetAsync<T>(string key, CancellationToken cancellationToken = default)
    {
        CacheArgument.ThrowIfInvalidKey(key);
        return IsTooLong(key) ? new(CacheGetResult<T>.NotFound) : TryGetCoreAsync<T>(key, cancellationToken);
    }

    /// <summary>Stores <paramref name="value"/> under <paramref name="key"/> in the same envelope <c>DoAsync</c>
    /// writes (readable by <c>DoAsync</c>, <see cref="TryGetAsync{T}"/> and the Go original), replacing what was
    /// stored, including a decoded value kept in memory for reuse.</summary>
    /// <typeparam name="T">The value type; null is a value.</typeparam>
    /// <param name="key">The cache key; not null or empty.</param>
    /// <param name="value">The value.</param>
    /// <param name="options">freshFor and ttl for this entry; null keeps the <see cref="CacheFunc"/>'s settings.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when the cache has stored the value.</returns>
    /// <remarks>The value is serialized before the cache is touched: a value the serializer rejects throws here
    /// and the stored entry stays as it was. Cache failures reach the caller (unlike <c>DoAsync</c>'s own writes,
    /// which are logged). A factory run or background refresh already under way for the key may still finish after
    /// this write and replace it with its own result.</remarks>
    public ValueTask SetAsync<T>(string key, T value, CacheEntryOptions? options = null, CancellationToken cancellationToken = default)
        => SetAsync(key, value, tags: [], options, cancellationToken);

    /// <summary>Stores a value a caller computed itself the way <c>DoAsync</c> stores its factory's result: a cache failure
    /// (over a hybrid cache, an upstream failure) is logged and counted, not thrown, with <paramref name="tags"/> (validated
    /// by the caller) like <c>DoAsync</c>'s context tags. A value the serializer rejects throws.</summary>
    internal Task StoreComputedAsync<T>(string key, T value, IReadOnlyCollection<string>? tags, CacheEntryOptions? options)
    {
        CacheArgument.ThrowIfInvalidKey(key);
        var payload = Entry(value, tags, options, out var ttl);
        return IsTooLong(key) || IsTooLarge(key, payload) ? Task.CompletedTask : StoreAsync(key, payload, ttl);
    }

    /// <summary>Like <see cref="SetAsync{T}(string, T, CacheEntryOptions?, CancellationToken)"/>, storing the entry with
    /// <paramref name="tags"/>: <see cref="RemoveByTagAsync(string, CancellationToken)"/> of any of them makes it a miss.</summary>
    /// <typeparam name="T">The value type; null is a value.</typeparam>
    /// <param name="key">The cache key; not null or empty.</param>
    /// <param name="value">The value.</param>
    /// <param name="tags">The entry's tags; none null, empty or with an unpaired surrogate (they are stored as UTF-8).</param>
    /// <param name="options">freshFor and ttl for this entry; null keeps the <see cref="CacheFunc"/>'s settings.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when the cache has stored the value.</returns>
    public ValueTask SetAsync<T>(string key, T value, IReadOnlyCollection<string> tags, CacheEntryOptions? options = null, CancellationToken cancellationToken = default)
    {
        CacheArgument.ThrowIfInvalidKey(key);
        ArgumentNullException.ThrowIfNull(tags);
        TagInvalidations.ThrowIfInvalid(tags);
        var payload = Entry(value, tags, options, out var ttl);

        // Nothing under a key too long to cache; an entry too large to store removes what the key held instead.
        if (IsTooLong(key))
        {
            return ValueTask.CompletedTask;
        }

        ForgetPendingRead(key);
        return IsTooLarge(key, payload) ? _cache.DeleteAsync([key], cancellationToken) : _cache.SetAsync(key, payload, ttl, cancellationToken);
    }

    // A value's envelope as a typed write stores it (with its tags, whose invalidations are then kept for its ttl).
    private byte[] Entry<T>(T value, IReadOnlyCollection<string>? tags, CacheEntryOptions? options, out TimeSpan ttl)
    {
        var now = _timeProvider.GetUtcNow();
        ttl = options?.Ttl ?? _ttl;
        return Tagged(new SerializerPayloadFormat<T>(_serializer, reuse: false).Write(value, now + (options?.FreshFor ?? _freshFor)), tags, now, ttl);
    }

    /// <summary>Removes the value stored under <paramref name="key"/> (and any decoded value kept for reuse), so the
    /// next <c>DoAsync</c> runs its factory.</summary>
    /// <param name="key">The cache key; not null or empty.</param>
    /// <param name="cancellationToken">Cancels the removal.</param>
    /// <returns>A task that completes when the cache has removed the key; cache failures reach the caller.</returns>
    public ValueTask RemoveAsync(string key, CancellationToken cancellationToken = default)
    {
        CacheArgument.ThrowIfInvalidKey(key);
        ForgetPendingRead(key);
        return _cache.DeleteAsync([key], cancellationToken);
    }

    /// <summary>Removes the values stored under <paramref name="keys"/>; keys not stored are ignored.</summary>
    /// <param name="keys">The cache keys; none null or empty (checked before anything is removed).</param>
    /// <param name="cancellationToken">Cancels the removal.</param>
    /// <returns>A task that completes when the cache has removed the keys; cache failures reach the caller.</returns>
    public ValueTask RemoveAsync(IEnumerable<string> keys, CancellationToken cancellationToken = default)
    {
        var valid = CacheArgument.ThrowIfInvalidKeys(keys);
        for (var i = 0; i < valid.Count; i++)
        {
            ForgetPendingRead(valid[i]);
        }

        return _cache.DeleteAsync(valid, cancellationToken);
    }

    // Stored bytes, parsed once: not found when a tag invalidates them (or its time cannot be read by half of waitFor) or
    // they cannot be read as T.
    private async ValueTask<CacheGetResult<T>> TryGetCoreAsync<T>(string key, CancellationToken cancellationToken)
    {
        var deadline = new Deadline(_timeProvider, _waitFor);
        if (!TryParse<T>(key, await ReadAsync(key, deadline, cancellationToken).ConfigureAwait(false), out var payload))
        {
            return CacheGetResult<T>.NotFound;
        }

        var verdict = _tagInvalidations.Check(payload);
        if (verdict == TagInvalidations.State.Unknown)
        {
            verdict = await ReadTagsAsync(key, payload, deadline, 0.5, cancellationToken).ConfigureAwait(false);
        }

        return verdict == TagInvalidations.State.Valid && TryRead(key, payload, new SerializerPayloadFormat<T>(_serializer, reuse: false), out T value)
            ? new CacheGetResult<T>(true, value, payload.BestBefore <= _timeProvider.GetUtcNow())
            : CacheGetResult<T>.NotFound;
    }
}
