namespace HybridCaching;

// Tags: storing them with entries, checking them on every read, invalidating them (TagInvalidations holds the times).
public sealed partial class CacheFunc
{
    /// <summary>Makes every entry carrying <paramref name="tag"/> a miss from now on, on every server sharing the cache,
    /// without scanning it: the tag's invalidation time is stored in the cache and compared with each tagged entry's
    /// write time when it is read.</summary>
    /// <param name="tag">The tag; not null, empty or with an unpaired surrogate.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes once the time is stored.</returns>
    /// <remarks>The time is kept for this function's ttl, or for the longest ttl this instance has written a tagged entry
    /// with (per-call <see cref="CacheEntryOptions.Ttl"/>, <see cref="CacheFuncContext.Ttl"/>) if longer. An instance that
    /// invalidates tags of entries other processes write with longer ttls (and has not written such an entry itself since
    /// it started) needs a ttl at least that long.</remarks>
    public ValueTask RemoveByTagAsync(string tag, CancellationToken cancellationToken = default)
        => RemoveByTagAsync(tag, TimeSpan.Zero, cancellationToken);

    /// <summary>Like <see cref="RemoveByTagAsync(string, CancellationToken)"/>, keeping the invalidation time at least
    /// <paramref name="keptFor"/>: for an instance that invalidates tags of entries written with longer ttls than its own
    /// (by other cache functions, or other processes).</summary>
    /// <param name="tag">The tag; not null, empty or with an unpaired surrogate.</param>
    /// <param name="keptFor">The longest ttl of the entries that may carry the tag; when shorter than this function's ttl
    /// (or the longest ttl it has written a tagged entry with), that is used.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes once the time is stored.</returns>
    public ValueTask RemoveByTagAsync(string tag, TimeSpan keptFor, CancellationToken cancellationToken = default)
    {
        TagInvalidations.ThrowIfInvalid(tag, nameof(tag));
        long longest = Math.Max(Math.Max(_ttl.Ticks, Interlocked.Read(ref _longestTaggedTtl)), keptFor.Ticks);
        return _tagInvalidations.RemoveAsync(tag, TimeSpan.FromTicks(longest), cancellationToken);
    }

    // A tagged entry whose tags' times are not in memory yet: read them, then hit or miss. The entry's read and its tags'
    // together take a quarter of waitFor at most, as a read alone does, leaving a miss three quarters.
    private async ValueTask<T> TaggedHitOrMissAsync<T, TFormat, TState>(string key, CachePayload payload, Invocation<TState, T> call, TFormat format, Deadline deadline, CancellationToken cancellationToken)
        where TFormat : ICachePayloadFormat<T>
    {
        if (await ReadTagsAsync(key, payload, deadline, 0.25, cancellationToken).ConfigureAwait(false) == TagInvalidations.State.Valid
            && TryHit(key, payload, call, format, out T value))
        {
            return value;
        }

        return await MissAsync<T, TFormat, TState>(key, call, format, deadline, cancellationToken).ConfigureAwait(false);
    }

    // Whether a shared run's result is invalidated by its tags. One whose tags' times this process has not read yet (left
    // under the lock by another server, say) has them read; when they cannot be read, one written since this call began
    // is this call's answer (an invalidation it missed happened during the call), and an older one may have been
    // invalidated since, so it is computed again.
    private async ValueTask<bool> IsInvalidatedAsync(string key, CachePayload payload, Deadline deadline, CancellationToken cancellationToken)
        => _tagInvalidations.Check(payload, unreadableInvalidates: false) switch
        {
            TagInvalidations.State.Invalidated => true,
            TagInvalidations.State.Unknown => await ReadTagsAsync(key, payload, deadline, 0.5, cancellationToken).ConfigureAwait(false) switch
            {
                TagInvalidations.State.Valid => false,
                TagInvalidations.State.Invalidated => true,
                _ => payload.Written < deadline.Began,
            },
            _ => false,
        };

    // Reads the times of an entry's tags that memory does not hold, in one go, by a share of waitFor (at most half, so the
    // factory keeps the rest): Unknown when the read failed or came too late (logged), leaving nothing behind.
    private async Task<TagInvalidations.State> ReadTagsAsync(string key, CachePayload payload, Deadline deadline, double share, CancellationToken cancellationToken)
    {
        if (deadline.Until(share) <= TimeSpan.Zero)
        {
            return TagInvalidations.State.Unknown;
        }

        try
        {
            return await deadline.WithinAsync(_tagInvalidations.IsValidAsync(payload.ReadTags(), payload.Written, cancellationToken), share, cancellationToken).ConfigureAwait(false)
                ? TagInvalidations.State.Valid
                : TagInvalidations.State.Invalidated;
        }
        catch (Exception ex) when (IsCacheFailure(ex, cancellationToken))
        {
            ReadFailed(key, ex);
            return TagInvalidations.State.Unknown;
        }
    }

    // An envelope with its tags, if any, written at `written`. The longest ttl of a tagged entry written here is noted
    // before it is stored: invalidations are kept that long.
    private byte[] Tagged(byte[] payload, IReadOnlyCollection<string>? tags, DateTimeOffset written, TimeSpan ttl)
    {
        if (tags is not { Count: > 0 })
        {
            return payload;
        }

        long longest;
        while (ttl.Ticks > (longest = Interlocked.Read(ref _longestTaggedTtl))
            && Interlocked.CompareExchange(ref _longestTaggedTtl, ttl.Ticks, longest) != longest)
        {
        }

        return CachePayload.WithTags(payload, tags, written);
    }
}
