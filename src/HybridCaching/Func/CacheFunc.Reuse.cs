namespace HybridCaching;

// Value reuse: a fresh hit on a local entry (ILocalCacheEntries) returns the value an earlier hit decoded.
public sealed partial class CacheFunc
{
    // What DoCoreAsync passes on when the local entries hold nothing for the key (null: it did not look). Only
    // DoReusingAsync reads it, by reference: it is never parsed, kept or stored.
    private static readonly LocalCacheEntry NotHeldLocally = new([], null);

    // Reused only through a format of the same identity (serializer, HTTP response format). A key not held locally is read
    // through the cache when it has a shared level (a hybrid cache copies it down), otherwise it is a miss. The entry is
    // the one DoCoreAsync found (NotHeldLocally: none; looked up here when it did not look).
    private ValueTask<T> DoReusingAsync<T, TFormat, TState>(ILocalCacheEntries local, object identity, string key, LocalCacheEntry? found, Invocation<TState, T> call, TFormat format, CancellationToken cancellationToken)
        where TFormat : ICachePayloadFormat<T>
    {
        var entry = found;
        if (ReferenceEquals(entry, NotHeldLocally) || (entry is null && !local.TryGetLocal(key, out entry)))
        {
            var deadline = new Deadline(_timeProvider, _waitFor);
            return _localCopies is null
                ? MissAsync<T, TFormat, TState>(key, call, format, deadline, cancellationToken)
                : AwaitGetAsync<T, TFormat, TState>(ReadAsync(key, deadline, cancellationToken), key, call, format, deadline, cancellationToken);
        }

        if (entry.Decoded is ReusedValue<T> reused && ReferenceEquals(reused.Identity, identity))
        {
            var stale = _systemClock ? Environment.TickCount64 >= reused.FreshUntilTick : reused.BestBefore <= _timeProvider.GetUtcNow();
            CountHit<T, TFormat, TState>(stale, key, call, format, reused.Value);
            return new ValueTask<T>(reused.Value);
        }

        if (!TryParse<T>(key, entry.Value, out var payload))
        {
            return MissAsync<T, TFormat, TState>(key, call, format, new Deadline(_timeProvider, _waitFor), cancellationToken);
        }

        if (payload.HasTags)
        {
            // Tagged values are not reused: every hit checks the tags.
            return HitOrMiss<T, TFormat, TState>(key, payload, call, format, new Deadline(_timeProvider, _waitFor), cancellationToken);
        }

        // What the decode allocates bounds what the decoded value holds (everything it holds that is new was allocated
        // by the decode), whatever the serializer and whatever it leaves out of the encoding.
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        if (!TryRead(key, payload, format, out T value))
        {
            return MissAsync<T, TFormat, TState>(key, call, format, new Deadline(_timeProvider, _waitFor), cancellationToken);
        }

        allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;
        var now = _timeProvider.GetUtcNow();
        var decoded = ReusedValue<T>.Create(value, payload.BestBefore, identity, now);
        local.KeepDecoded(key, entry, decoded, decoded.EstimatedBytes(allocated));
        CountHit<T, TFormat, TState>(payload.BestBefore <= now, key, call, format, value);

        return new ValueTask<T>(value);
    }
}
