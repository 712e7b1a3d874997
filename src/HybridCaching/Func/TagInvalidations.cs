using System.Globalization;
using System.Text;

namespace HybridCaching;

// Per-tag invalidation times: RemoveByTagAsync(tag) stores "now" (100 ns units since the Unix epoch, ASCII) under
// "!tag!" + tag in the cache itself (under the Redis prefix, announced by the backplane); an entry carrying the tag is a
// miss when written at or before that time. Nothing is scanned. Times are read from local entries (ILocalCacheEntries)
// synchronously; over local copies of a shared level (ICacheLocalCopies) the missing ones are read from the shared level
// in one round trip and copied locally, a never-invalidated tag as an empty marker for MarkerTtl (the backplane drops it
// when another instance invalidates the tag). Local entries without a shared level are the whole cache. A failed read
// leaves nothing behind: the entry is a miss and the next read asks again.
internal sealed class TagInvalidations(ICacheAdapter cache, TimeProvider time)
{
    public const string KeyPrefix = "!tag!";

    // How long "this tag was never invalidated" is believed without asking upstream again.
    public static readonly TimeSpan MarkerTtl = TimeSpan.FromSeconds(30);

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly ILocalCacheEntries? _local = cache as ILocalCacheEntries;
    private readonly ICacheLocalCopies? _copies = cache as ICacheLocalCopies;

    // Times local entries do not hold are read (from the shared level, whose failures reach us), unless local is all.
    private readonly bool _localIsAll = cache is ILocalCacheEntries and not ICacheLocalCopies;

    public enum State
    {
        Valid,
        Invalidated,
        Unknown,
    }

    public static string Key(string tag) => KeyPrefix + tag;

    // Null tags are none.
    public static void ThrowIfInvalid(IReadOnlyCollection<string>? tags, string paramName = "tags")
    {
        foreach (var tag in tags ?? [])
        {
            ThrowIfInvalid(tag, paramName);
        }
    }

    // An unpaired surrogate is refused: stored as UTF-8, such a tag would never match its own invalidation.
    public static void ThrowIfInvalid(string tag, string paramName)
    {
        ArgumentException.ThrowIfNullOrEmpty(tag, paramName);
        try
        {
            _ = StrictUtf8.GetByteCount(tag);
        }
        catch (EncoderFallbackException ex)
        {
            throw new ArgumentException(
                $"A tag contains an unpaired surrogate at index {ex.Index}: tags are stored as UTF-8, which cannot carry it.", paramName, ex);
        }
    }

    // What is known without waiting: Invalidated when a local time invalidates the payload (whatever other tags are
    // unknown), Unknown when some time must be read. unreadableInvalidates: whether a garbage time makes it a miss (a
    // result just computed is not recomputed for it).
    public State Check(scoped in CachePayload payload, bool unreadableInvalidates = true)
    {
        if (!payload.HasTags)
        {
            return State.Valid;
        }

        var state = State.Valid;
        foreach (var tag in payload.ReadTags())
        {
            if (_local is not null && _local.TryGetLocal(Key(tag), out var entry))
            {
                var invalidatedAt = InvalidatedAt(entry.Value);
                if (invalidatedAt >= payload.Written && (unreadableInvalidates || invalidatedAt != DateTimeOffset.MaxValue))
                {
                    return State.Invalidated;
                }
            }
            else if (!_localIsAll)
            {
                state = State.Unknown; // (when local entries are the whole cache, no time stored means never invalidated)
            }
        }

        return state;
    }

    // For an Unknown entry: reads the times not held locally, all at once (one round trip over Redis), copies them
    // locally, and says whether none invalidates an entry written at `written`. A failed read throws, copying nothing.
    public async Task<bool> IsValidAsync(string[] tags, DateTimeOffset written, CancellationToken cancellationToken)
    {
        // The times held locally were judged by Check.
        var keys = tags.Select(Key).Where(key => _local is null || !_local.TryGetLocal(key, out _)).Distinct(StringComparer.Ordinal).ToArray();
        var announcements = _copies?.InvalidationsReceived ?? 0;
        var times = await Task.WhenAll(keys.Select(key => ReadAsync(key, cancellationToken))).ConfigureAwait(false);
        var valid = !times.Any(read => read.Found && InvalidatedAt(read.Value) >= written);

        // Copied only when no invalidation was announced meanwhile (what was read may predate it), and never over a time
        // written here meanwhile (RemoveAsync on this instance).
        if (_copies is not null && _copies.InvalidationsReceived == announcements)
        {
            for (int i = 0; i < keys.Length; i++)
            {
                var (value, ttl) = times[i].Found
                    ? (times[i].Value!, times[i].TimeToLive == Timeout.InfiniteTimeSpan ? TimeSpan.MaxValue : times[i].TimeToLive)
                    : ([], MarkerTtl);
                if (ttl > TimeSpan.Zero && !(_local?.TryGetLocal(keys[i], out _) ?? false))
                {
                    await _copies.CopyLocallyAsync(keys[i], value, ttl, cancellationToken).ConfigureAwait(false);
                }
            }
        }

        return valid;
    }

    // ttl: the longest an entry carrying the tag can live.
    public ValueTask RemoveAsync(string tag, TimeSpan ttl, CancellationToken cancellationToken)
    {
        // Exact (100 ns units since the Unix epoch): an entry written at or before this instant is invalidated.
        var now = (time.GetUtcNow().UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks).ToString(CultureInfo.InvariantCulture);
        return cache.SetAsync(Key(tag), Encoding.ASCII.GetBytes(now), ttl, cancellationToken);
    }

    // From a shared level, the time and its remaining ttl (to copy it); otherwise the time alone.
    private async Task<CacheFetchResult> ReadAsync(string key, CancellationToken cancellationToken)
        => _copies is null
            ? new CacheFetchResult(await cache.GetAsync(key, cancellationToken).ConfigureAwait(false), TimeSpan.Zero)
            : await _copies.FetchSharedAsync(key, cancellationToken).ConfigureAwait(false);

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
