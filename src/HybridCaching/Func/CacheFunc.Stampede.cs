using System.Diagnostics;

namespace HybridCaching;

// Stampede protection, the one place a factory runs: a single-flight per key in this process and, inside it, the race
// across servers when the cache offers one (ICacheRace, detected once by the constructor).
public sealed partial class CacheFunc
{
    // A miss: the key's one run (here or, through the race, on another server) produces the value; a result that cannot
    // be read as T, or that its tags invalidate, is computed again here.
    private async ValueTask<T> MissAsync<T, TFormat, TState>(string key, Invocation<TState, T> call, TFormat format, Deadline deadline, CancellationToken cancellationToken)
        where TFormat : ICachePayloadFormat<T>
    {
        CacheTelemetry.Count(CacheTelemetry.Misses, _tags);
        using var activity = StartActivity("hybridcaching.miss", key, default);
        var run = new FactoryRun<T, TFormat, TState>(this, key, call, format, _race, IsBackgroundRefresh: false, StoreResult: true);
        var shared = await RunOnceAsync(run, deadline.Remaining, cancellationToken).ConfigureAwait(false);
        var readable = TryParse<T>(key, shared.Value, out var payload);
        var invalidated = readable && await IsInvalidatedAsync(key, payload, deadline, cancellationToken).ConfigureAwait(false);

        var ownRun = run.Produced is { } produced && ReferenceEquals(produced, shared.Value);
        T value;
        if (readable && !invalidated && (ownRun ? format.TryReadProduced(run.ProducedValue!, payload, out value) : TryRead(key, payload, format, out value)))
        {
            return value;
        }

        if (!invalidated && ownRun)
        {
            // This call's own factory run produced what cannot be read back: running it again would too.
            throw Unreadable<T, TFormat>(key, readable, payload, format);
        }

        // The shared result cannot be read as T (another program or serializer produced it): compute it here, through the
        // same single-flight, without a race. A result a run left under its lock before a RemoveByTagAsync is computed
        // again, and stored.
        var here = new FactoryRun<T, TFormat, TState>(this, key, call, format, Race: null, IsBackgroundRefresh: false, StoreResult: invalidated);
        var own = await RunOnceAsync(here, deadline.Remaining, cancellationToken).ConfigureAwait(false);
        return TryParse<T>(key, own.Value, out payload) && TryRead(key, payload, format, out value) ? value : throw Unreadable<T, TFormat>(key, readable, payload, format);
    }

    // Joins the key's run under way in this process, or starts one: it races run's factory across servers through
    // run.Race, or runs it here when there is none. Whichever caller starts it, every caller gets the same result.
    private Task<RaceResult> RunOnceAsync<T, TFormat, TState>(FactoryRun<T, TFormat, TState> run, TimeSpan waitFor, CancellationToken cancellationToken)
        where TFormat : ICachePayloadFormat<T>
    {
        run.WaitFor = waitFor;
        return _local.RunAsync(
            run.Key,
            run,
            static (run, token) => run.Race is { } race
                ? new ValueTask<RaceResult>(run.Func.RaceAsync(race, run, token))
                : run.Func.StoredMeanwhile(run) is { } stored ? new ValueTask<RaceResult>(new RaceResult(stored)) : run.Func.RunFactoryAsync(run, token),
            waitFor,
            cancellationToken);
    }

    // The race across servers. A result this run did not produce came from another server's run: a wait on it
    // (hybridcaching.waits, scope "servers"), timed only when someone listens.
    private Task<RaceResult> RaceAsync<T, TFormat, TState>(ICacheRace race, FactoryRun<T, TFormat, TState> run, CancellationToken cancellationToken)
        where TFormat : ICachePayloadFormat<T>
    {
        var started = CacheTelemetry.Waits.Enabled || CacheTelemetry.WaitDuration.Enabled ? Stopwatch.GetTimestamp() : 0;
        var racing = race.RaceAsync(run.Key, run.InvokeAsync, run.WaitFor, _suppressFor, cancellationToken);
        return started == 0 ? racing : RecordServersWaitAsync(racing, run, started);

        static async Task<RaceResult> RecordServersWaitAsync(Task<RaceResult> racing, FactoryRun<T, TFormat, TState> run, long started)
        {
            var result = await racing.ConfigureAwait(false);
            if (run.Produced is null)
            {
                CacheTelemetry.RecordWait("servers", Stopwatch.GetElapsedTime(started));
            }

            return result;
        }
    }

    // A fresh untagged entry readable as T that a run just stored locally, which a caller that missed before that write and
    // joined after its run ended would compute again (a race has its result for that). Only a miss's first run looks.
    private byte[]? StoredMeanwhile<T, TFormat, TState>(FactoryRun<T, TFormat, TState> run)
        where TFormat : ICachePayloadFormat<T>
        => run is { IsBackgroundRefresh: false, StoreResult: true } && _localEntries is not null
            && _localEntries.TryGetLocal(run.Key, out var entry) && CachePayload.TryRead(entry.Value, out var payload)
            && !payload.HasTags && payload.BestBefore > _timeProvider.GetUtcNow() && run.Format.TryRead(payload, out _)
                ? entry.Value
                : null;

    private async ValueTask<RaceResult> RunFactoryAsync<T, TFormat, TState>(FactoryRun<T, TFormat, TState> run, CancellationToken cancellationToken)
        where TFormat : ICachePayloadFormat<T>
    {
        var (key, format, isBackgroundRefresh) = (run.Key, run.Format, run.IsBackgroundRefresh);
        var context = run.Invocation.NeedsContext
            ? new CacheFuncContext(key, isBackgroundRefresh, isBackgroundRefresh ? (object?)run.StaleValue : null) { FreshFor = _freshFor, Ttl = _ttl }
            : null;
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

        var (freshFor, ttl, tags, noCache) = context is null ? (_freshFor, _ttl, null, false) : (context.FreshFor, context.Ttl, context.Tags, context.NoCache);
        var payload = Tagged(format.Write(value, _timeProvider.GetUtcNow() + freshFor), tags, written, ttl);
        run.Produced = payload;
        run.ProducedValue = value;
        if (run.StoreResult && !noCache && !IsTooLarge(key, payload))
        {
            // A waiting caller gets the value without waiting for the write; a background refresh writes inline.
            var write = StoreAsync(key, payload, ttl);
            if (isBackgroundRefresh)
            {
                await write.ConfigureAwait(false);
            }
        }

        // NoCache only decides the write above: like Go's Func.Do, the race result is the plain payload, so waiters on
        // any server (a Go one included, which would take a no-cache error for a failure) receive the value.
        return new RaceResult(payload);
    }

    private async Task StoreAsync(string key, byte[] payload, TimeSpan ttl)
    {
        using var activity = StartActivity("hybridcaching.store", key, default);
        ForgetPendingRead(key);
        try
        {
            // Over local copies of a shared level, a failed shared write keeps the local copy (logged and counted there).
            await (_localCopies is null ? _cache.SetAsync(key, payload, ttl) : _localCopies.StoreProducedAsync(key, payload, ttl)).ConfigureAwait(false);
            _failures.Succeeded();
        }
#pragma warning disable CA1031 // often detached from any caller: every failure is logged here, none is rethrown
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _failures.Failed("write", key, ex);
            CacheTelemetry.Count(CacheTelemetry.Errors, _tags, "operation", "write");
            activity?.SetStatus(ActivityStatusCode.Error, ex.GetType().FullName);
        }
    }

    /// <summary>One call's factory and how it would run, should the call start the key's run (through <see cref="Race"/>
    /// across servers, or here when it is null); it records the payload and value its own run produced (none until it
    /// ran), so the call can tell its own result from one produced elsewhere.</summary>
    private sealed record FactoryRun<T, TFormat, TState>(
        CacheFunc Func, string Key, Invocation<TState, T> Invocation, TFormat Format, ICacheRace? Race, bool IsBackgroundRefresh, bool StoreResult)
        where TFormat : ICachePayloadFormat<T>
    {
        /// <summary>The stale value a background refresh replaces (its factory's <see cref="CacheFuncContext.TryGetStaleValue{TValue}"/>).</summary>
        public T? StaleValue { get; init; }

        /// <summary>How long the run may take (what is left of the call's waitFor when it started).</summary>
        public TimeSpan WaitFor { get; set; }

        public byte[]? Produced { get; set; }

        public T? ProducedValue { get; set; }

        public Task<RaceResult> InvokeAsync(CancellationToken cancellationToken) => Func.RunFactoryAsync(this, cancellationToken).AsTask();
    }
}
