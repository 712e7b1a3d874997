using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
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
    /// <param name="freshFor">How long a value is fresh before a hit triggers a background refresh; positive.</param>
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
        _serializer = options.Serializer ?? DefaultSerializer;
        _timeProvider = options.TimeProvider ?? TimeProvider.System;
        _logger = options.Logger ?? NullLogger.Instance;
        _local = new SingleFlight<RaceResult>(_timeProvider);
        _race = cache as ICacheRace;
        _localEntries = cache as ILocalCacheEntries;
        _localCopies = cache as ICacheLocalCopies;
        _reuseAll = options.ReuseValues;
        _systemClock = ReferenceEquals(_timeProvider, TimeProvider.System);
        _tags = new CacheTelemetry.CacheTags(options.Name, CacheTelemetry.LevelOf(cache));
        _tagInvalidations = new TagInvalidations(cache, _timeProvider);
    }

    /// <summary>The name this cache function's metrics and traces carry (<see cref="CacheFuncOptions.Name"/>).</summary>
    public string Name => (string)_tags.CacheName.Value!;

    /// <summary>How long entries stay stored unless a call says otherwise.</summary>
    internal TimeSpan DefaultTtl => _ttl;

    /// <summary>How long <see cref="RemoveByTagAsync"/> keeps an invalidation time: the ttl, or the longest ttl a tagged
    /// entry has been written with by this instance if longer, so no entry it invalidates outlives it.</summary>
    internal TimeSpan TagInvalidationTtl => TimeSpan.FromTicks(Math.Max(_ttl.Ticks, Interlocked.Read(ref _longestTaggedTtl)));

    /// <summary>Gets the adapter this function runs on.</summary>
    internal ICacheAdapter Cache => _cache;

    /// <summary>Gets this function's clock.</summary>
    internal TimeProvider TimeProvider => _timeProvider;

    /// <summary>Gets the serializer used when none is given: <see cref="MessagePackCacheSerializer.Default"/>, readable by the Go original.</summary>
    /// <remarks>Reflection-based; for trimming and native AOT give the <see cref="CacheFunc"/> a serializer (see <c>docs/serialization.md</c>).</remarks>
    public static ICacheSerializer DefaultSerializer
    {
        [RequiresUnreferencedCode("MessagePackCacheSerializer.Default resolves types by reflection and Reflection.Emit; pass an AOT-safe serializer instead.")]
        [RequiresDynamicCode("MessagePackCacheSerializer.Default resolves types by reflection and Reflection.Emit; pass an AOT-safe serializer instead.")]
        get => MessagePackCacheSerializer.Default;
    }

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

    // The format of DoAsync's serialized values; they are reused across memory hits when immutable or when asked to.
    private SerializerPayloadFormat<T> SerializerFormat<T>() => new(_serializer, _reuseAll || ImmutableType<T>.Value);

    private static bool IsCacheFailure(Exception ex, CancellationToken cancellationToken)
        => !(ex is OperationCanceledException && cancellationToken.IsCancellationRequested) && ex is not ObjectDisposedException;

    // The hit path: synchronous and allocation-free (beyond the decoded value) when the adapter answers synchronously.
    // TFormat is a struct for the built-in formats, so the generic code is specialized and nothing is boxed.
    private ValueTask<T> DoCoreAsync<T, TFormat, TState>(string key, Invocation<TState, T> call, TFormat format, CancellationToken cancellationToken)
        where TFormat : ICachePayloadFormat<T>
    {
        CacheArgument.ThrowIfInvalidKey(key);
        if (_localEntries is not null && format.ReuseIdentity is { } identity)
        {
            return DoReusingAsync<T, TFormat, TState>(_localEntries, identity, key, call, format, cancellationToken);
        }

        var started = _timeProvider.GetTimestamp();
        ValueTask<byte[]?> pending;
        try
        {
            pending = _cache.GetAsync(key, cancellationToken);
        }
        catch (Exception ex) when (IsCacheFailure(ex, cancellationToken))
        {
            Log.ReadFailed(_logger, key, ex);
            CacheTelemetry.Count(CacheTelemetry.Errors, _tags, "operation", "read");
            return new ValueTask<T>(MissAsync<T, TFormat, TState>(key, call, format, started, cancellationToken));
        }

        if (!pending.IsCompletedSuccessfully)
        {
            return AwaitGetAsync<T, TFormat, TState>(pending, key, call, format, started, cancellationToken);
        }

        return TryHit(key, pending.Result, call, format, out T value)
            ? new ValueTask<T>(value)
            : new ValueTask<T>(TaggedHitOrMissAsync<T, TFormat, TState>(pending.Result, key, call, format, started, cancellationToken));
    }

    // The hit path with value reuse: a fresh hit on a local entry returns the value an earlier hit decoded from the same
    // bytes through a format of the same identity (serializer, HTTP response format), without decoding; anything else
    // goes the usual way. Not held locally: a hybrid cache may copy the value down from its upstream (the next hit
    // reuses it from there); when the local entries are the whole cache, it is a miss.
    private ValueTask<T> DoReusingAsync<T, TFormat, TState>(ILocalCacheEntries local, object identity, string key, Invocation<TState, T> call, TFormat format, CancellationToken cancellationToken)
        where TFormat : ICachePayloadFormat<T>
    {
        if (!local.TryGetLocal(key, out var entry))
        {
            var started = _timeProvider.GetTimestamp();
            return _localCopies is null
                ? new ValueTask<T>(MissAsync<T, TFormat, TState>(key, call, format, started, cancellationToken))
                : AwaitGetAsync<T, TFormat, TState>(_cache.GetAsync(key, cancellationToken), key, call, format, started, cancellationToken);
        }

        if (entry.Decoded is ReusedValue<T> reused && ReferenceEquals(reused.Identity, identity))
        {
            var stale = _systemClock ? Environment.TickCount64 >= reused.FreshUntilTick : reused.BestBefore <= _timeProvider.GetUtcNow();
            format.Reused(reused.Value);
            CountHit<T, TFormat, TState>(stale, key, call, format, reused.Value);
            return new ValueTask<T>(reused.Value);
        }

        if (TagInvalidations.IsTagged(entry.Value))
        {
            // Tagged values are not reused: every hit checks the tags.
            return AwaitGetAsync<T, TFormat, TState>(new ValueTask<byte[]?>(entry.Value), key, call, format, _timeProvider.GetTimestamp(), cancellationToken);
        }

        // What the decode allocates bounds what the decoded value holds (everything it holds that is new was allocated
        // by the decode), whatever the serializer and whatever it leaves out of the encoding.
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        if (!TryDecode(key, entry.Value, format, out T value, out var bestBefore))
        {
            return new ValueTask<T>(MissAsync<T, TFormat, TState>(key, call, format, _timeProvider.GetTimestamp(), cancellationToken));
        }

        allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;
        var now = _timeProvider.GetUtcNow();
        var decoded = ReusedValue<T>.Create(value, bestBefore, identity, now);
        local.KeepDecoded(key, entry, decoded, decoded.EstimatedBytes(allocated));
        CountHit<T, TFormat, TState>(bestBefore <= now, key, call, format, value);

        return new ValueTask<T>(value);
    }

    // started: when the call began. Every cache operation the call makes is bounded by what is left of waitFor.
    private async ValueTask<T> AwaitGetAsync<T, TFormat, TState>(ValueTask<byte[]?> pending, string key, Invocation<TState, T> call, TFormat format, long started, CancellationToken cancellationToken)
        where TFormat : ICachePayloadFormat<T>
    {
        var stored = await ReadWithinAsync(pending, key, started, cancellationToken).ConfigureAwait(false);
        return TryHit(key, stored, call, format, out T value)
            ? value
            : await TaggedHitOrMissAsync<T, TFormat, TState>(stored, key, call, format, started, cancellationToken).ConfigureAwait(false);
    }

    // A pending cache read bounded by a quarter of waitFor (and what is left of it), so that a hung cache leaves a miss at
    // least three quarters for its race and factory; a failed or late read is logged and is a miss (null).
    private async ValueTask<byte[]?> ReadWithinAsync(ValueTask<byte[]?> pending, string key, long started, CancellationToken cancellationToken)
    {
        var read = pending.AsTask();
        var remaining = Remaining(started);
        var budget = _waitFor / 4 < remaining ? _waitFor / 4 : remaining;
        try
        {
            try
            {
                return await read.WaitAsync(budget, _timeProvider, cancellationToken).ConfigureAwait(false);
            }
            catch when (!read.IsCompleted)
            {
                // A read abandoned at the deadline (or on cancellation) is not awaited again: observe its outcome.
                _ = read.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                throw;
            }
        }
        catch (Exception ex) when (IsCacheFailure(ex, cancellationToken))
        {
            Log.ReadFailed(_logger, key, ex);
            CacheTelemetry.Count(CacheTelemetry.Errors, _tags, "operation", "read");
            return null;
        }
    }

    // A tagged entry whose tags' invalidation times are not in memory yet: read them, then hit or miss. The entry's
    // read and its tags' together take a quarter of waitFor at most, as a read alone does: a hung cache leaves a miss
    // three quarters for its race and factory.
    private async Task<T> TaggedHitOrMissAsync<T, TFormat, TState>(byte[]? stored, string key, Invocation<TState, T> call, TFormat format, long started, CancellationToken cancellationToken)
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

    // What is left of waitFor for a call that began at started (at least a millisecond: a race needs a positive time).
    private TimeSpan Remaining(long started)
    {
        var remaining = _waitFor - _timeProvider.GetElapsedTime(started);
        return remaining > TimeSpan.FromMilliseconds(1) ? remaining : TimeSpan.FromMilliseconds(1);
    }

    // A readable stored payload → its value (and a background refresh when stale); anything else → false.
    private bool TryHit<T, TFormat, TState>(string key, byte[]? stored, Invocation<TState, T> call, TFormat format, out T value, bool checkTags = true)
        where TFormat : ICachePayloadFormat<T>
    {
        if (!TryDecode(key, stored, format, out value, out var bestBefore, checkTags))
        {
            return false;
        }

        CountHit<T, TFormat, TState>(bestBefore <= _timeProvider.GetUtcNow(), key, call, format, value);
        return true;
    }

    // A hit: counted as fresh or stale; a stale one starts the background refresh (its factory sees the stale value).
    private void CountHit<T, TFormat, TState>(bool stale, string key, Invocation<TState, T> call, TFormat format, T value)
        where TFormat : ICachePayloadFormat<T>
    {
        if (!stale)
        {
            CacheTelemetry.Count(CacheTelemetry.FreshHits, _tags);
            return;
        }

        CacheTelemetry.Count(CacheTelemetry.StaleHits, _tags);
        StartRefresh<T, TFormat, TState>(key, call, format, value);
    }

    private bool TryDecode<T, TFormat>(string key, byte[]? stored, TFormat format, out T value, out DateTimeOffset bestBefore, bool checkTags = false)
        where TFormat : ICachePayloadFormat<T>
    {
        bestBefore = default;
        if (stored is null)
        {
            value = default!;
            return false;
        }

        if (!CachePayload.TryRead(stored, out var payload) || !format.TryRead(payload, out value))
        {
            Log.DecodeFailed(_logger, key, typeof(T).Name);
            value = default!;
            return false;
        }

        if (checkTags && payload.HasTags && _tagInvalidations.Check(payload) != TagInvalidations.State.Valid)
        {
            value = default!;
            return false; // invalidated by a tag, or the tags' times are not known yet (TaggedHitOrMissAsync reads them)
        }

        bestBefore = payload.BestBefore;
        return true;
    }

    private async Task<T> MissAsync<T, TFormat, TState>(string key, Invocation<TState, T> call, TFormat format, long started, CancellationToken cancellationToken)
        where TFormat : ICachePayloadFormat<T>
    {
        CacheTelemetry.Count(CacheTelemetry.Misses, _tags);
        using var activity = StartActivity("hybridcaching.miss", key, default);
        var run = new FactoryRun<T, TFormat, TState>(this, key, call, format, _race, isBackgroundRefresh: false, storeResult: true);
        var shared = await RunOnceAsync(run, Remaining(started), cancellationToken).ConfigureAwait(false);
        var invalidated = _tagInvalidations.Check(shared.Value, out var tags, out var written, unreadableInvalidates: false) switch
        {
            TagInvalidations.State.Invalidated => true,

            // A result whose tags' times this process has not read yet (left under the lock by another server, say). When
            // they cannot be read, one written since this call began is this call's answer (an invalidation it missed
            // happened during the call); an older one may have been invalidated since, so it is computed again.
            TagInvalidations.State.Unknown => await ReadTagsAsync(key, tags, written, started, _waitFor / 2, cancellationToken).ConfigureAwait(false) switch
            {
                TagInvalidations.State.Valid => false,
                TagInvalidations.State.Invalidated => true,
                _ => written < _timeProvider.GetUtcNow() - _timeProvider.GetElapsedTime(started),
            },
            _ => false,
        };

        if (!invalidated && TryDecode(key, shared.Value, format, out T value, out _))
        {
            return value;
        }

        if (!invalidated && run.Produced is { } produced && ReferenceEquals(produced, shared.Value))
        {
            // This call's own factory run produced what cannot be read back: running it again would too.
            throw Unreadable<T, TFormat>(key, shared.Value, format);
        }

        // The shared result cannot be read as T (another program or serializer produced it): compute it here, through the
        // same single-flight, without a race. A result a run left under its lock before a RemoveByTagAsync is computed
        // again, and stored.
        var here = new FactoryRun<T, TFormat, TState>(this, key, call, format, race: null, isBackgroundRefresh: false, storeResult: invalidated);
        var own = await RunOnceAsync(here, Remaining(started), cancellationToken).ConfigureAwait(false);
        return TryDecode(key, own.Value, format, out value, out _) ? value : throw Unreadable<T, TFormat>(key, own.Value, format);
    }

    // A value this process produced that its format cannot read back: the format's reason (a serializer's, naming the
    // type and its cause) when it has one.
    private static Exception Unreadable<T, TFormat>(string key, byte[]? payload, TFormat format)
        where TFormat : ICachePayloadFormat<T>
        => (payload is not null && CachePayload.TryRead(payload, out var read) ? format.ExplainUnreadable(read) : null)
            ?? new InvalidOperationException($"The payload format for {typeof(T)} cannot read back what it wrote for key '{key}'.");

    private async Task<RaceResult> RunFactoryAsync<T, TFormat, TState>(FactoryRun<T, TFormat, TState> run, CancellationToken cancellationToken)
        where TFormat : ICachePayloadFormat<T>
    {
        var (key, format, isBackgroundRefresh) = (run.Key, run.Format, run.IsBackgroundRefresh);
        var context = new CacheFuncContext(key, isBackgroundRefresh, isBackgroundRefresh ? (object?)run.StaleValue : null) { FreshFor = _freshFor, Ttl = _ttl };
        T value;
        var factoryStarted = Stopwatch.GetTimestamp();

        // A tagged value counts as written when its factory starts: a tag evicted while the factory ran (it may have
        // read the data before the change) must drop the value too.
        var written = _timeProvider.GetUtcNow();
        using (var activity = StartActivity("hybridcaching.factory", key, default))
        {
            try
            {
                value = await run.Invocation.InvokeAsync(context, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                activity?.SetStatus(ActivityStatusCode.Error, ex.GetType().FullName);
                RecordFactoryRun(factoryStarted, "failed");
                throw;
            }

            RecordFactoryRun(factoryStarted, "ok");
        }

        var payload = format.Write(value, _timeProvider.GetUtcNow() + context.FreshFor);
        if (context.Tags is { Count: > 0 } tags)
        {
            payload = CachePayload.WithTags(payload, tags, written);
            NoteTaggedTtl(context.Ttl);
        }
        run.Produced = payload;
        if (run.StoreResult && !context.NoCache)
        {
            // A waiting caller gets the value without waiting for the write; a background refresh writes inline.
            var write = StoreAsync(key, payload, context.Ttl);
            if (isBackgroundRefresh)
            {
                await write.ConfigureAwait(false);
            }
        }

        // NoCache only decides the write above: like Go's Func.Do, the race result is the plain payload, so waiters on
        // any server (a Go one included, which would take a no-cache error for a failure) receive the value.
        return new RaceResult(payload);
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

    private void RecordFactoryRun(long started, string outcome)
    {
        CacheTelemetry.Count(CacheTelemetry.FactoryRuns, _tags, "outcome", outcome);
        CacheTelemetry.RecordSince(CacheTelemetry.FactoryDuration, started, _tags.With("outcome", outcome));
    }

    // A span of this cache function's work (null, and free, when nobody listens), linked to the caller's trace when
    // it does not run inside it (a background refresh).
    private Activity? StartActivity(string name, string key, ActivityContext link)
    {
        if (!CacheTelemetry.Source.HasListeners())
        {
            return null;
        }

        var links = link == default ? null : new[] { new ActivityLink(link) };
        var activity = CacheTelemetry.Source.StartActivity(name, ActivityKind.Internal, parentContext: default, links: links);
        activity?.SetTag(CacheTelemetry.CacheNameTag, _tags.CacheName.Value)
            .SetTag(CacheTelemetry.LevelTag, _tags.Level.Value)
            .SetTag("cache.key", key);
        return activity;
    }

    private async Task StoreAsync(string key, byte[] payload, TimeSpan ttl)
    {
        using var activity = StartActivity("hybridcaching.store", key, default);
        try
        {
            // Over local copies of a shared level, a failed shared write keeps the local copy (logged and counted there).
            await (_localCopies is null ? _cache.SetAsync(key, payload, ttl) : _localCopies.StoreProducedAsync(key, payload, ttl)).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // often detached from any caller: every failure is logged here, none is rethrown
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.WriteFailed(_logger, key, ex);
            CacheTelemetry.Count(CacheTelemetry.Errors, _tags, "operation", "write");
            activity?.SetStatus(ActivityStatusCode.Error, ex.GetType().FullName);
        }
    }

    private void StartRefresh<T, TFormat, TState>(string key, Invocation<TState, T> call, TFormat format, T stale)
        where TFormat : ICachePayloadFormat<T>
    {
        if (_refreshing.ContainsKey(key) || !_refreshing.TryAdd(key, true))
        {
            return;
        }

        // The refresh outlives the stale caller: it must not carry the caller's execution context
        // (activity, logging scopes, HttpContext accessor) into work done after that caller has finished.
        RefreshStarted();
        // Its span is a new trace linked to the caller's.
        var caller = Activity.Current?.Context ?? default;
        using (ExecutionContext.SuppressFlow())
        {
            _ = Task.Run(() => RefreshAsync<T, TFormat, TState>(key, call, format, stale, caller));
        }
    }

    private async Task RefreshAsync<T, TFormat, TState>(string key, Invocation<TState, T> call, TFormat format, T stale, ActivityContext caller)
        where TFormat : ICachePayloadFormat<T>
    {
        using var activity = StartActivity("hybridcaching.refresh", key, caller);
        try
        {
            var started = _timeProvider.GetTimestamp();
            using var timeout = new CancellationTokenSource(_waitFor, _timeProvider);

            // Another server may have refreshed it already.
            var latest = await _cache.FetchAsync(key, timeout.Token).ConfigureAwait(false);
            if (latest.Found && CachePayload.TryRead(latest.Value, out var payload) && payload.BestBefore > _timeProvider.GetUtcNow())
            {
                CacheTelemetry.Count(CacheTelemetry.Refreshes, _tags, "outcome", "skipped");
                return;
            }

            var run = new FactoryRun<T, TFormat, TState>(this, key, call, format, _race, isBackgroundRefresh: true, storeResult: true) { StaleValue = stale };
            await RunOnceAsync(run, Remaining(started), timeout.Token).ConfigureAwait(false);
            CacheTelemetry.Count(CacheTelemetry.Refreshes, _tags, "outcome", "ok");
        }
#pragma warning disable CA1031 // a failed refresh must not surface anywhere: the stale value stays in use
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.RefreshFailed(_logger, key, ex);
            CacheTelemetry.Count(CacheTelemetry.Refreshes, _tags, "outcome", "failed");
            activity?.SetStatus(ActivityStatusCode.Error, ex.GetType().FullName);

            // With the source down, stale hits keep coming: try again after the suppression window, not on every hit.
            await Task.Delay(_suppressFor, _timeProvider).ConfigureAwait(false);
        }
        finally
        {
            _refreshing.TryRemove(key, out _);
            RefreshEnded();
        }
    }
}
