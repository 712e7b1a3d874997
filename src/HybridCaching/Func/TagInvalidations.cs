using System.Globalization;
using System.Text;

namespace HybridCaching;

/// <summary>
/// Per-tag invalidation times for <see cref="CacheFunc"/>: <c>RemoveByTagAsync(tag)</c> stores "now" (100 ns units since the Unix epoch, ASCII)
/// under the key <c>!tag!</c> + tag in the cache itself (so Redis keeps it under the prefix and the backplane announces
/// it); an entry carrying a tag is a miss when it was written at or before that tag's time. Nothing is scanned.
/// </summary>
/// <remarks>On a hybrid cache the times are read from the memory level (synchronously); a tag never invalidated is
/// remembered there as an empty marker for <see cref="MarkerTtl"/>, which the backplane drops as soon as another
/// instance invalidates the tag.</remarks>
internal sealed class TagInvalidations(ICacheAdapter cache, MemoryCache? memory, TimeProvider time, TimeSpan ttl)
{
    /// <summary>The key prefix of tag invalidation times.</summary>
    public const string KeyPrefix = "!tag!";

    /// <summary>How long "this tag was never invalidated" is believed without asking upstream again.</summary>
    public static readonly TimeSpan MarkerTtl = TimeSpan.FromSeconds(30);

    public enum State
    {
        Valid,
        Invalidated,
        Unknown,
    }

    public static string Key(string tag) => KeyPrefix + tag;

    public static void ThrowIfInvalid(IReadOnlyCollection<string> tags)
    {
        ArgumentNullException.ThrowIfNull(tags);
        foreach (var tag in tags)
        {
            ArgumentException.ThrowIfNullOrEmpty(tag, nameof(tags));
        }
    }

    /// <summary>What is known without waiting about a payload's tags.</summary>
    /// <param name="payload">The entry.</param>
    /// <param name="unreadableInvalidates">Whether an unreadable (untrusted) invalidation time makes the entry a miss; a
    /// result just computed is not recomputed for it.</param>
    public State Check(scoped in CachePayload payload, bool unreadableInvalidates = true)
    {
        if (!payload.HasTags)
        {
            return State.Valid;
        }

        if (memory is null)
        {
            return State.Unknown;
        }

        foreach (var tag in payload.ReadTags())
        {
            if (!memory.TryGetEntry(Key(tag), out var entry))
            {
                if (ReferenceEquals(memory, cache))
                {
                    continue; // the memory level is the whole cache: no time stored, never invalidated
                }

                return State.Unknown;
            }

            var invalidatedAt = InvalidatedAt(entry.Value);
            if (invalidatedAt >= payload.Written && (unreadableInvalidates || invalidatedAt != DateTimeOffset.MaxValue))
            {
                return State.Invalidated;
            }
        }

        return State.Valid;
    }

    /// <summary>For stored bytes whose tags are <see cref="State.Unknown"/>: their tags and write time.</summary>
    public bool NeedsLoad(byte[]? stored, out string[] tags, out DateTimeOffset written)
    {
        tags = [];
        written = default;
        if (stored is null || !CachePayload.TryRead(stored, out var payload) || !payload.HasTags || Check(payload) != State.Unknown)
        {
            return false;
        }

        tags = payload.ReadTags();
        written = payload.Written;
        return true;
    }

    /// <summary>Whether stored bytes are a tagged payload known (without waiting) to be invalidated.</summary>
    public bool IsInvalidated(byte[]? stored)
        => stored is not null && CachePayload.TryRead(stored, out var payload) && payload.HasTags && Check(payload, unreadableInvalidates: false) == State.Invalidated;

    /// <summary>Whether bytes are a tagged payload (their decoded value must not be reused without a tag check).</summary>
    public static bool IsTagged(byte[] stored) => CachePayload.TryRead(stored, out var payload) && payload.HasTags;

    /// <summary>Asks the cache for each tag's time (a hybrid cache copies it into memory); true when none invalidates.</summary>
    public async Task<bool> IsValidAsync(string[] tags, DateTimeOffset written, CancellationToken cancellationToken)
    {
        var valid = true;
        foreach (var tag in tags)
        {
            var key = Key(tag);
            var stored = await cache.GetAsync(key, cancellationToken).ConfigureAwait(false);
            if (stored is null)
            {
                if (memory is not null && !ReferenceEquals(memory, cache))
                {
                    await memory.SetAsync(key, [], MarkerTtl, cancellationToken).ConfigureAwait(false);
                }
            }
            else if (InvalidatedAt(stored) >= written)
            {
                valid = false;
            }
        }

        return valid;
    }

    public ValueTask RemoveAsync(string tag, CancellationToken cancellationToken)
    {
        // Exact (100 ns units since the Unix epoch): an entry written at or before this instant is invalidated.
        var now = (time.GetUtcNow().UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks).ToString(CultureInfo.InvariantCulture);
        return cache.SetAsync(Key(tag), Encoding.ASCII.GetBytes(now), ttl, cancellationToken);
    }

    // Empty (the "never" marker) → never; garbage (untrusted) → always, so tagged entries are misses rather than stale.
    private static DateTimeOffset InvalidatedAt(byte[] stored)
    {
        if (stored.Length == 0)
        {
            return DateTimeOffset.MinValue;
        }

        return long.TryParse(Encoding.ASCII.GetString(stored), NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
            && ticks <= DateTimeOffset.MaxValue.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks
            ? new DateTimeOffset(DateTimeOffset.UnixEpoch.UtcTicks + ticks, TimeSpan.Zero)
            : DateTimeOffset.MaxValue;
    }
}
