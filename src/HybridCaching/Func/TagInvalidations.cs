using System.Globalization;
using System.Text;

namespace HybridCaching;

/// <summary>
/// Per-tag invalidation times for <see cref="CacheFunc"/>: <c>RemoveByTagAsync(tag)</c> stores "now" (100 ns units since the Unix epoch, ASCII)
/// under the key <c>!tag!</c> + tag in the cache itself (so Redis keeps it under the prefix and the backplane announces
/// it); an entry carrying a tag is a miss when it was written at or before that tag's time. Nothing is scanned.
/// </summary>
/// <remarks>On a cache with local entries (<see cref="ILocalCacheEntries"/>: memory, or a hybrid's memory level) the times
/// are read there (synchronously). On a cache with local copies of a shared level (<see cref="ICacheLocalCopies"/>: a
/// hybrid cache), the ones it does not hold are read from the shared level all at once (one round trip) and copied
/// locally; a tag never invalidated is remembered there as an empty marker for <see cref="MarkerTtl"/>, which the
/// backplane drops as soon as another instance invalidates the tag. Local entries without a shared level are the whole
/// cache: a time they do not hold was never stored. A read that fails leaves nothing behind: the entry is a miss and the
/// next read asks again.</remarks>
internal sealed class TagInvalidations
{
    /// <summary>The key prefix of tag invalidation times.</summary>
    public const string KeyPrefix = "!tag!";

    /// <summary>How long "this tag was never invalidated" is believed without asking upstream again.</summary>
    public static readonly TimeSpan MarkerTtl = TimeSpan.FromSeconds(30);

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly ICacheAdapter _cache;
    private readonly ILocalCacheEntries? _local;
    private readonly ICacheLocalCopies? _copies;
    private readonly bool _localIsAll;
    private readonly TimeProvider _time;

    /// <summary>Creates the invalidation times of a cache.</summary>
    /// <param name="cache">The cache the entries and times live in.</param>
    /// <param name="time">The clock of invalidation times.</param>
    public TagInvalidations(ICacheAdapter cache, TimeProvider time)
    {
        _cache = cache;
        _time = time;
        _local = cache as ILocalCacheEntries;
        _copies = cache as ICacheLocalCopies;

        // Times local entries do not hold are read from the shared level itself, whose failures reach us (the cache would
        // answer a failure as "not found", i.e. "never invalidated"), or from the cache; never when local is the whole cache.
        _localIsAll = _local is not null && _copies is null;
    }

    public enum State
    {
        Valid,
        Invalidated,
        Unknown,
    }

    public static string Key(string tag) => KeyPrefix + tag;

    /// <summary>Throws when <paramref name="tags"/> is null or holds a tag <see cref="ThrowIfInvalid(string, string)"/> refuses.</summary>
    public static void ThrowIfInvalid(IReadOnlyCollection<string> tags, string paramName = "tags")
    {
        ArgumentNullException.ThrowIfNull(tags, paramName);
        foreach (var tag in tags)
        {
            ThrowIfInvalid(tag, paramName);
        }
    }

    /// <summary>Throws when <paramref name="tag"/> is null, empty, or not well-formed UTF-16 (an unpaired surrogate):
    /// tags are stored as UTF-8, which cannot carry one, so such a tag would never match its own invalidation.</summary>
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

    /// <summary>What is known without waiting about a payload's tags: <see cref="State.Invalidated"/> when a time in
    /// memory invalidates it (whatever other tags are unknown), <see cref="State.Unknown"/> when some time must be read.</summary>
    /// <param name="payload">The entry.</param>
    /// <param name="unreadableInvalidates">Whether an unreadable (untrusted) invalidation time makes the entry a miss; a
    /// result just computed is not recomputed for it.</param>
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

    /// <summary>For an entry <see cref="Check(in CachePayload, bool)"/> found <see cref="State.Unknown"/>: reads the times of
    /// <paramref name="tags"/> that memory does not hold, all at once (the reads are sent together, so a pipelining client
    /// such as Redis's makes one round trip), copies them into memory, and says whether none invalidates an entry
    /// written at <paramref name="written"/>.</summary>
    /// <exception cref="Exception">A read failed (whatever the cache threw): nothing is copied into memory.</exception>
    public async Task<bool> IsValidAsync(string[] tags, DateTimeOffset written, CancellationToken cancellationToken)
    {
        var unknown = new HashSet<string>(StringComparer.Ordinal);
        foreach (var tag in tags)
        {
            var key = Key(tag);
            if (_local is null || !_local.TryGetLocal(key, out _))
            {
                unknown.Add(key); // (the times held locally were judged by Check)
            }
        }

        var keys = unknown.ToArray();
        var announcements = _copies?.InvalidationsReceived ?? 0;
        var reads = new Task<CacheFetchResult>[keys.Length];
        for (int i = 0; i < reads.Length; i++)
        {
            reads[i] = ReadAsync(keys[i], cancellationToken);
        }

        var times = await Task.WhenAll(reads).ConfigureAwait(false);
        var valid = true;
        foreach (var time in times)
        {
            valid &= !(time.Found && InvalidatedAt(time.Value) >= written);
        }

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

    /// <summary>Stores "now" as <paramref name="tag"/>'s invalidation time, kept for <paramref name="ttl"/> (the longest
    /// an entry carrying the tag can live).</summary>
    public ValueTask RemoveAsync(string tag, TimeSpan ttl, CancellationToken cancellationToken)
    {
        // Exact (100 ns units since the Unix epoch): an entry written at or before this instant is invalidated.
        var now = (_time.GetUtcNow().UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks).ToString(CultureInfo.InvariantCulture);
        return _cache.SetAsync(Key(tag), Encoding.ASCII.GetBytes(now), ttl, cancellationToken);
    }

    // From a shared level, the time and its remaining ttl (to copy it); otherwise the time alone.
    private async Task<CacheFetchResult> ReadAsync(string key, CancellationToken cancellationToken)
        => _copies is null
            ? new CacheFetchResult(await _cache.GetAsync(key, cancellationToken).ConfigureAwait(false), TimeSpan.Zero)
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
