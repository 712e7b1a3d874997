namespace HybridCaching;

// Tags: storing them with entries, checking them on every read, invalidating them (TagInvalidations holds the times).
public sealed partial class CacheFunc
{
    /// <summary>How long <see cref="RemoveByTagAsync"/> keeps an invalidation time: the ttl, or the longest ttl a tagged
    /// entry has been written with by this instance if longer, so no entry it invalidates outlives it.</summary>
    internal TimeSpan TagInvalidationTtl => TimeSpan.FromTicks(Math.Max(_ttl.Ticks, Interlocked.Read(ref _longestTaggedTtl)));

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
    {
        TagInvalidations.ThrowIfInvalid(tag, nameof(tag));
        return _tagInvalidations.RemoveAsync(tag, TagInvalidationTtl, cancellationToken);
    }

    // A tagged entry whose tags' invalidation times are not in memory yet: read them, then hit or miss. The entry's
    // read and its tags' together take a quarter of waitFor at most, as a read alone does: a hung cache leaves a miss
    // three quarters for its race and factory.
    private async ValueTask<T> TaggedHitOrMissAsync<T, TFormat, TState>(byte[]? stored, string key, Invocation<TState, T> call, TFormat format, long started, CancellationToken cancellationToken)
        where TFormat : ICachePayloadFormat<T>
    {
        if (_tagInvalidations.Check(stored, out var tags, out var written) == TagInvalidations.State.Unknown
            && await ReadTagsAsync(key, tags, written, started, _waitFor / 4, cancellationToken).ConfigureAwait(false) == TagInvalidations.State.Valid
            && TryHit(key, stored, call, format, out T value, checkTags: false))
        {
            return value;
        }

        return await MissAsync<T, TFormat, TState>(key, call, format, started, cancellationToken).ConfigureAwait(false);
    }

    // Reads the invalidation times of tags memory does not hold, in one go, by `within` (at most half of waitFor, so
    // the factory keeps the other half) after the call began: Valid or Invalidated, or Unknown when the read failed or
    // came too late (logged). A failed read leaves nothing behind, so it never hides an invalidation and is not
    // remembered as "never invalidated".
    private async Task<TagInvalidations.State> ReadTagsAsync(string key, string[] tags, DateTimeOffset written, long started, TimeSpan within, CancellationToken cancellationToken)
    {
        var budget = within - _timeProvider.GetElapsedTime(started);
        if (budget <= TimeSpan.Zero)
        {
            return TagInvalidations.State.Unknown;
        }

        var read = _tagInvalidations.IsValidAsync(tags, written, cancellationToken);
        try
        {
            return await read.WaitAsync(budget, _timeProvider, cancellationToken).ConfigureAwait(false)
                ? TagInvalidations.State.Valid
                : TagInvalidations.State.Invalidated;
        }
        catch (Exception ex) when (IsCacheFailure(ex, cancellationToken))
        {
            Log.ReadFailed(_logger, key, ex);
            CacheTelemetry.Count(CacheTelemetry.Errors, _tags, "operation", "read");
            return TagInvalidations.State.Unknown;
        }
        finally
        {
            if (!read.IsCompleted)
            {
                // Abandoned at the deadline (or on cancellation): observe its outcome; a late answer is still copied to memory.
                _ = read.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }
        }
    }

    // Remembers the longest ttl of a tagged entry written here, before it is stored: invalidations are kept that long.
    private void NoteTaggedTtl(TimeSpan ttl)
    {
        long longest;
        while (ttl.Ticks > (longest = Interlocked.Read(ref _longestTaggedTtl))
            && Interlocked.CompareExchange(ref _longestTaggedTtl, ttl.Ticks, longest) != longest)
        {
        }
    }
}
