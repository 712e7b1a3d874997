namespace HybridCaching.AspNetCore;

// Checks the tags of an entry read straight from the cache (a HEAD lookup, not through the cache function): an entry
// carrying a tag evicted after it was written is a miss. Untagged entries are valid.
internal sealed class StoredTags(ICacheAdapter cache, TimeProvider time)
{
    private readonly TagInvalidations _invalidations = new(cache, time);

    public ValueTask<bool> AreValidAsync(byte[] stored, CancellationToken cancellationToken)
    {
        if (!CachePayload.TryRead(stored, out var payload) || !payload.HasTags)
        {
            return ValueTask.FromResult(true); // untagged, or not an entry at all (decoding refuses it)
        }

        return _invalidations.Check(payload) switch
        {
            TagInvalidations.State.Valid => ValueTask.FromResult(true),
            TagInvalidations.State.Invalidated => ValueTask.FromResult(false),
            _ => new ValueTask<bool>(_invalidations.IsValidAsync(payload.ReadTags(), payload.Written, cancellationToken)),
        };
    }
}
