using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using HybridCaching.Serialization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace HybridCaching;

/// <summary>
/// Wraps async calls with a cache: a fresh hit returns at once; a stale hit returns at once and
/// refreshes in the background; a miss runs the call once per key however many callers (and, over
/// Redis, servers) ask at the same time.
/// </summary>
/// <remarks>
/// Values are stored inside a small payload envelope (<see cref="CachePayload"/>) carrying their
/// best-before time, in the format the Go original shares. Anything unreadable in the cache (garbage,
/// another version's envelope, bytes another serializer wrote) is a miss, never an error. Failures of
/// the cache itself (e.g. Redis down) are logged and also treated as misses. The factory's exception
/// reaches every caller waiting on that run and nothing is cached.
/// <para>A miss goes through one single-flight per key in this process; its one caller that runs races the other
/// servers when the cache offers the race (<see cref="ICacheRace"/>, detected once, here), and otherwise runs the
/// factory.</para>
/// </remarks>
[DebuggerDisplay("WaitFor = {_waitFor}, FreshFor = {_freshFor}, Ttl = {_ttl}")]
public sealed partial class CacheFunc
{
    private static readonly TimeSpan MaxSuppression = TimeSpan.FromSeconds(2);


    private readonly ICacheAdapter _cache;
    private readonly ICacheSerializer _serializer;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly FailureLog _failures;
    private readonly TimeSpan _waitFor;
    private readonly TimeSpan _freshFor;
    private readonly TimeSpan _ttl;
    private readonly TimeSpan _suppressFor;
    private readonly ConcurrentDictionary<string, bool> _refreshing = new(StringComparer.Ordinal);
    private readonly SingleFlight<RaceResult> _local;
    private readonly ICacheRace? _race;
    private readonly ILocalCacheEntries? _localEntries;
    private readonly ICacheLocalCopies? _localCopies;
    private readonly bool _reuseAll;
    private readonly bool _systemClock;
    private readonly CacheTelemetry.CacheTags _tags;
    private readonly TagInvalidations _tagInvalidations;
    private long _longestTaggedTtl; // ticks: the longest ttl a tagged entry was written with here (an invalidation outlives it)

    /// <summary>Creates a cache function wrapper.</summary>
    /// <param name="cache">Where values are stored.</param>
    /// <param name="waitFor">How long a call may take before a <see cref="TimeoutException"/>; positive.</param>
    /// <param name="freshFor">How long a value is fresh before a hit triggers a background refresh; positive (longer than <paramref name="ttl"/>, values are never served stale: a warning is logged).</param>
    /// <param name="ttl">How long a value stays stored; positive.</param>
    /// <param name="serializer">Turns values into bytes; MessagePack when null.</param>
    public CacheFunc(ICacheAdapter cache, TimeSpan waitFor, TimeSpan freshFor, TimeSpan ttl, ICacheSerializer? serializer = null)
        : this(cache, new CacheFuncOptions
        {
            Durations = new CacheDurations(waitFor, freshFor, ttl).Validate(nameof(waitFor), nameof(freshFor), nameof(ttl)),
            Serializer = serializer,
        })
    {
    }

    /// <summary>Creates a cache function wrapper from options.</summary>
    /// <param name="cache">Where values are stored.</param>
    /// <param name="options">The settings; validated here.</param>
    public CacheFunc(ICacheAdapter cache, CacheFuncOptions options)
    {
        ArgumentNullException.ThrowIfNull(cache);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _cache = cache;
        _waitFor = options.WaitFor;
        _freshFor = options.FreshFor;
        _ttl = options.Ttl;
        _suppressFor = _freshFor < MaxSuppression ? _freshFor : MaxSuppression;
        _serializer = options.Serializer ?? DefaultSerializerOrMissing();
        _timeProvider = options.TimeProvider ?? TimeProvider.System;
        _logger = options.Logger ?? NullLogger.Instance;
        var level = CacheTelemetry.LevelOf(cache);
        _failures = new FailureLog(_logger, _timeProvider, level);
        if (_freshFor > _ttl)
        {
            Log.FreshForLongerThanTtl(_logger, options.Name, _freshFor, _ttl);
        }
        _local = new SingleFlight<RaceResult>(_timeProvider);
        _race = cache as ICacheRace;
        _localEntries = cache as ILocalCacheEntries;
        _localCopies = cache as ICacheLocalCopies;
        _reuseAll = options.ReuseValues;
        (_maximumKeyLength, _maximumPayloadBytes) = (options.MaximumKeyLength, options.MaximumPayloadBytes);
        _systemClock = ReferenceEquals(_timeProvider, TimeProvider.System);
        _tags = new CacheTelemetry.CacheTags(options.Name, level);
        _tagInvalidations = new TagInvalidations(cache, _timeProvider);
    }

    /// <summary>The name this cache function's metrics and traces carry (<see cref="CacheFuncOptions.Name"/>).</summary>
    public string Name => (string)_tags.CacheName.Value!;

    // The one core path. Its first lines are the reused fresh hit (the most frequent call), kept small, with everything
    // else out of line (DoUncommonAsync), so the JIT compiles the hit compactly and can inline it into a hot caller.
    // TFormat is a struct for the built-in formats, so the generic code is specialized and nothing is boxed.
    private ValueTask<T> DoCoreAsync<T, TFormat, TState>(string key, Invocation<TState, T> call, TFormat format, CancellationToken cancellationToken)
        where TFormat : ICachePayloadFormat<T>
    {
        CacheArgument.ThrowIfInvalidKey(key);
        LocalCacheEntry? entry = null;
        if (_localEntries is { } local && format.ReuseIdentity is { } identity && key.Length <= _maximumKeyLength)
        {
            if (!local.TryGetLocal(key, out entry))
            {
                entry = NotHeldLocally;
            }
            else if (entry.Decoded is ReusedValue<T> reused && ReferenceEquals(reused.Identity, identity)
                && (_systemClock ? Environment.TickCount64 < reused.FreshUntilTick : reused.BestBefore > _timeProvider.GetUtcNow()))
            {
                CacheTelemetry.Count(CacheTelemetry.FreshHits, _tags);
                return new ValueTask<T>(reused.Value);
            }
        }

        return DoUncommonAsync<T, TFormat, TState>(key, entry, call, format, cancellationToken);
    }

    // Every call but a reused fresh hit: a key too long to cache, a stale reused value, a local entry to decode, a read
    // through the cache, a miss. entry is what DoCoreAsync found locally: NotHeldLocally when nothing, null when it did
    // not look.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private ValueTask<T> DoUncommonAsync<T, TFormat, TState>(string key, LocalCacheEntry? entry, Invocation<TState, T> call, TFormat format, CancellationToken cancellationToken)
        where TFormat : ICachePayloadFormat<T>
    {
        if (IsTooLong(key))
        {
            return UncachedAsync<T, TFormat, TState>(key, call, format, cancellationToken);
        }

        if (_localEntries is not null && format.ReuseIdentity is { } identity)
        {
            return DoReusingAsync<T, TFormat, TState>(_localEntries, identity, key, entry, call, format, cancellationToken);
        }

        var deadline = new Deadline(_timeProvider, _waitFor);
        var read = ReadAsync(key, deadline, cancellationToken);
        return read.IsCompletedSuccessfully
            ? HitOrMiss<T, TFormat, TState>(key, read.Result, call, format, deadline, cancellationToken)
            : AwaitGetAsync<T, TFormat, TState>(read, key, call, format, deadline, cancellationToken);
    }

    private async ValueTask<T> AwaitGetAsync<T, TFormat, TState>(ValueTask<byte[]?> read, string key, Invocation<TState, T> call, TFormat format, Deadline deadline, CancellationToken cancellationToken)
        where TFormat : ICachePayloadFormat<T>
    {
        var stored = await read.ConfigureAwait(false);
        return await HitOrMiss<T, TFormat, TState>(key, stored, call, format, deadline, cancellationToken).ConfigureAwait(false);
    }

    // Stored bytes, parsed once: the tag verdict, the value and its freshness all come from that one parse.
    private ValueTask<T> HitOrMiss<T, TFormat, TState>(string key, byte[]? stored, Invocation<TState, T> call, TFormat format, Deadline deadline, CancellationToken cancellationToken)
        where TFormat : ICachePayloadFormat<T>
        => TryParse<T>(key, stored, out var payload)
            ? HitOrMiss<T, TFormat, TState>(key, payload, call, format, deadline, cancellationToken)
            : MissAsync<T, TFormat, TState>(key, call, format, deadline, cancellationToken);

    // A parsed entry: a hit (a stale one refreshes in the background) unless its tags invalidate it or its value cannot be
    // read as T; tags whose times memory does not hold are read first.
    private ValueTask<T> HitOrMiss<T, TFormat, TState>(string key, in CachePayload payload, Invocation<TState, T> call, TFormat format, Deadline deadline, CancellationToken cancellationToken)
        where TFormat : ICachePayloadFormat<T>
    {
        var verdict = _tagInvalidations.Check(payload);
        if (verdict == TagInvalidations.State.Valid && TryHit(key, payload, call, format, out T value))
        {
            return new ValueTask<T>(value);
        }

        return verdict == TagInvalidations.State.Unknown
            ? TaggedHitOrMissAsync<T, TFormat, TState>(key, payload, call, format, deadline, cancellationToken)
            : MissAsync<T, TFormat, TState>(key, call, format, deadline, cancellationToken);
    }

    // A readable entry's value, counted as a fresh or stale hit; a stale one starts the background refresh.
    private bool TryHit<T, TFormat, TState>(string key, in CachePayload payload, Invocation<TState, T> call, TFormat format, out T value)
        where TFormat : ICachePayloadFormat<T>
    {
        if (!TryRead(key, payload, format, out value))
        {
            return false;
        }

        CountHit<T, TFormat, TState>(payload.BestBefore <= _timeProvider.GetUtcNow(), key, call, format, value);
        return true;
    }
}
