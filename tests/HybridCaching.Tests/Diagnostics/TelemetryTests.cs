using System.Diagnostics;
using HybridCaching.Testing;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Time.Testing;

namespace HybridCaching.Tests.Diagnostics;

// Listeners on the library's static meter see every cache in the process: these tests run alone (after the parallel
// ones, so the hit-path allocation tests never run with a listener attached) and filter by a unique cache name.
[CollectionDefinition(nameof(TelemetryTests), DisableParallelization = true)]
public sealed class TelemetryCollection;

[Collection(nameof(TelemetryTests))]
public sealed class TelemetryTests
{
    private static CacheFunc NewFunc(ICacheAdapter cache, string name, TimeProvider? clock = null) => new(cache, new CacheFuncOptions
    {
        Name = name,
        FreshFor = TimeSpan.FromMinutes(1),
        TimeProvider = clock,
    });

    private static long Sum(MetricCollector<long> collector, string name, string? tag = null, string? value = null)
        => collector.GetMeasurementSnapshot()
            .Where(m => Equals(m.Tags.GetValueOrDefault(CacheTelemetry.CacheNameTag), name) && (tag is null || Equals(m.Tags.GetValueOrDefault(tag), value)))
            .Sum(m => m.Value);

    [Fact]
    public async Task DoAsync_MissThenHits_CountsMissFactoryRunAndFreshHits()
    {
        var name = "t-" + Guid.NewGuid().ToString("N");
        using var misses = new MetricCollector<long>(null, CacheTelemetry.Name, "hybridcaching.misses");
        using var fresh = new MetricCollector<long>(null, CacheTelemetry.Name, "hybridcaching.hits.fresh");
        using var runs = new MetricCollector<long>(null, CacheTelemetry.Name, "hybridcaching.factory.runs");
        using var duration = new MetricCollector<double>(null, CacheTelemetry.Name, "hybridcaching.factory.duration");
        await using var memory = new MemoryCache(100, 1 << 20, TimeSpan.FromHours(1));
        var func = NewFunc(memory, name);

        for (var i = 0; i < 4; i++)
        {
            await func.DoAsync("k", _ => Task.FromResult(42));
        }

        Assert.Equal(1, Sum(misses, name));
        Assert.Equal(3, Sum(fresh, name));
        Assert.Equal(1, Sum(runs, name, "outcome", "ok"));
        var recorded = Assert.Single(duration.GetMeasurementSnapshot(), m => Equals(m.Tags[CacheTelemetry.CacheNameTag], name));
        Assert.True(recorded.Value >= 0);
        Assert.Equal("memory", recorded.Tags[CacheTelemetry.LevelTag]);
    }

    [Fact]
    public async Task DoAsync_FactoryThrows_CountsFailedRun()
    {
        var name = "t-" + Guid.NewGuid().ToString("N");
        using var runs = new MetricCollector<long>(null, CacheTelemetry.Name, "hybridcaching.factory.runs");
        await using var memory = new MemoryCache(100, 1 << 20, TimeSpan.FromHours(1));
        var func = NewFunc(memory, name);

        await Assert.ThrowsAsync<InvalidOperationException>(() => func.DoAsync<int>("k", _ => throw new InvalidOperationException()).AsTask());

        Assert.Equal(1, Sum(runs, name, "outcome", "failed"));
        Assert.Equal(0, Sum(runs, name, "outcome", "ok"));
    }

    [Fact]
    public async Task DoAsync_StaleHit_CountsStaleHitAndOkRefresh()
    {
        var name = "t-" + Guid.NewGuid().ToString("N");
        using var stale = new MetricCollector<long>(null, CacheTelemetry.Name, "hybridcaching.hits.stale");
        using var refreshes = new MetricCollector<long>(null, CacheTelemetry.Name, "hybridcaching.refreshes");
        var clock = new FakeTimeProvider();
        await using var memory = new MemoryCache(100, 1 << 20, TimeSpan.FromHours(1), clock);
        var func = NewFunc(memory, name, clock);
        await func.DoAsync("k", _ => Task.FromResult("v1"));
        clock.Advance(TimeSpan.FromMinutes(2));

        Assert.Equal("v1", await func.DoAsync("k", _ => Task.FromResult("v2")));

        await refreshes.WaitForMeasurementsAsync(1, TimeSpan.FromSeconds(30));
        Assert.Equal(1, Sum(stale, name));
        Assert.Equal(1, Sum(refreshes, name, "outcome", "ok"));
    }

    [Fact]
    public async Task DoAsync_ReadFails_CountsReadError()
    {
        var name = "t-" + Guid.NewGuid().ToString("N");
        using var errors = new MetricCollector<long>(null, CacheTelemetry.Name, "hybridcaching.errors");
        await using var memory = new MemoryCache(100, 1 << 20, TimeSpan.FromHours(1));
        var func = NewFunc(new ReadFailingCache(memory), name);

        Assert.Equal(1, await func.DoAsync("k", _ => Task.FromResult(1)));

        Assert.Equal(1, Sum(errors, name, "operation", "read"));
    }

    [Fact]
    public async Task DoAsync_HybridOverDeadUpstream_CountsReadAndWriteErrorsUnderTheUpstreamLevel()
    {
        const int Keys = 10;
        using var errors = new MetricCollector<long>(null, CacheTelemetry.Name, "hybridcaching.errors");
        await using var hybrid = new HybridCache(new DeadUpstreamCache(), new MemoryCache(100, 1 << 20, TimeSpan.FromHours(1)));
        var func = NewFunc(hybrid, "t-" + Guid.NewGuid().ToString("N"));

        for (var i = 0; i < Keys; i++)
        {
            Assert.Equal(i, await func.DoAsync($"k{i}", _ => Task.FromResult(i))); // served around the failures
        }

        long Count(string operation) => errors.GetMeasurementSnapshot()
            .Where(m => Equals(m.Tags.GetValueOrDefault(CacheTelemetry.LevelTag), "deadupstream") && Equals(m.Tags.GetValueOrDefault("operation"), operation))
            .Sum(m => m.Value);

        // The factory's result is written after the caller has it: wait for the writes (generous guard).
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (Count("write") < Keys)
        {
            await Task.Delay(10, guard.Token);
        }

        Assert.Equal(Keys, Count("read"));
        Assert.Equal(Keys, Count("write"));
        Assert.Equal(Keys, Count("race"));
    }

    [Fact]
    public async Task RenewIfUnchangedAsync_HybridOverDeadUpstream_CountsAWriteErrorAndRenewsTheMemoryCopy()
    {
        using var errors = new MetricCollector<long>(null, CacheTelemetry.Name, "hybridcaching.errors");
        await using var memory = new MemoryCache(100, 1 << 20, TimeSpan.FromHours(1));
        await using var hybrid = new HybridCache(new DeadUpstreamCache(), memory);
        var key = "renew-" + Guid.NewGuid().ToString("N");
        var bytes = "v"u8.ToArray();
        await memory.SetAsync(key, bytes, TimeSpan.FromMinutes(1));

        Assert.True(await hybrid.RenewIfUnchangedAsync(key, bytes, TimeSpan.FromMinutes(5)));

        Assert.Equal(1, errors.GetMeasurementSnapshot()
            .Where(m => Equals(m.Tags.GetValueOrDefault(CacheTelemetry.LevelTag), "deadupstream") && Equals(m.Tags.GetValueOrDefault("operation"), "write"))
            .Sum(m => m.Value));
    }

    [Fact]
    public async Task DoAsync_ConcurrentMisses_OneRunOthersCountedAsProcessWaits()
    {
        var name = "t-" + Guid.NewGuid().ToString("N");
        using var waits = new MetricCollector<long>(null, CacheTelemetry.Name, "hybridcaching.waits");
        using var waitDuration = new MetricCollector<double>(null, CacheTelemetry.Name, "hybridcaching.wait.duration");
        using var runs = new MetricCollector<long>(null, CacheTelemetry.Name, "hybridcaching.factory.runs");
        await using var memory = new MemoryCache(100, 1 << 20, TimeSpan.FromHours(1));
        var func = NewFunc(memory, name);
        var release = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var key = "k-" + name;

        var leader = func.DoAsync(key, _ => release.Task).AsTask();
        var followers = Enumerable.Range(0, 3).Select(_ => func.DoAsync(key, _ => Task.FromResult(-1)).AsTask()).ToArray();
        release.SetResult(7);

        Assert.All(await Task.WhenAll(followers.Append(leader)), v => Assert.Equal(7, v));
        Assert.Equal(1, Sum(runs, name));
        var processWaits = waits.GetMeasurementSnapshot().Where(m => Equals(m.Tags["scope"], "process")).Sum(m => m.Value);
        Assert.True(processWaits >= 3, $"waits: {processWaits}");
        Assert.True(waitDuration.GetMeasurementSnapshot().Count(m => Equals(m.Tags["scope"], "process")) >= 3);
    }

    [Fact]
    public async Task DoAsync_Miss_SpansMissFactoryStoreInCallersTrace()
    {
        var name = "t-" + Guid.NewGuid().ToString("N");
        var stopped = new System.Collections.Concurrent.ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == CacheTelemetry.Name || s.Name == "test",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a => { if (Equals(a.GetTagItem(CacheTelemetry.CacheNameTag), name)) { stopped.Enqueue(a); } },
        };
        ActivitySource.AddActivityListener(listener);
        using var source = new ActivitySource("test");
        await using var memory = new MemoryCache(100, 1 << 20, TimeSpan.FromHours(1));
        var func = NewFunc(memory, name);

        using (var caller = source.StartActivity("request"))
        {
            await func.DoAsync("k", _ => Task.FromResult(1));
            await func.DoAsync("k", _ => Task.FromResult(2)); // a hit: no span
            var miss = Assert.Single(stopped, a => a.OperationName == "hybridcaching.miss");
            var factory = Assert.Single(stopped, a => a.OperationName == "hybridcaching.factory");
            Assert.Equal(caller!.TraceId, miss.TraceId);
            Assert.Equal(caller.SpanId, miss.ParentSpanId);
            Assert.Equal(miss.TraceId, factory.TraceId);
            Assert.Equal("k", miss.GetTagItem("cache.key"));
        }

        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!stopped.Any(a => a.OperationName == "hybridcaching.store"))
        {
            await Task.Delay(10, guard.Token);
        }

        Assert.Equal(2, stopped.Count(a => a.OperationName is "hybridcaching.miss" or "hybridcaching.factory"));
    }

    [Fact]
    public async Task DoAsync_StaleHit_RefreshSpanIsNewTraceLinkedToCaller()
    {
        var name = "t-" + Guid.NewGuid().ToString("N");
        var refresh = new TaskCompletionSource<Activity>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == CacheTelemetry.Name || s.Name == "test",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a =>
            {
                if (a.OperationName == "hybridcaching.refresh" && Equals(a.GetTagItem(CacheTelemetry.CacheNameTag), name))
                {
                    refresh.TrySetResult(a);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        using var source = new ActivitySource("test");
        var clock = new FakeTimeProvider();
        await using var memory = new MemoryCache(100, 1 << 20, TimeSpan.FromHours(1), clock);
        var func = NewFunc(memory, name, clock);
        await func.DoAsync("k", _ => Task.FromResult(1));
        clock.Advance(TimeSpan.FromMinutes(2));

        ActivityTraceId callerTrace;
        ActivitySpanId callerSpan;
        using (var caller = source.StartActivity("request"))
        {
            (callerTrace, callerSpan) = (caller!.TraceId, caller.SpanId);
            await func.DoAsync("k", _ => Task.FromResult(2));
        }

        var span = await refresh.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.NotEqual(callerTrace, span.TraceId);
        var link = Assert.Single(span.Links);
        Assert.Equal((callerTrace, callerSpan), (link.Context.TraceId, link.Context.SpanId));
    }

    // Every call fails, its race included, like a Redis that is down (its level tag: "deadupstream").
    private sealed class DeadUpstreamCache() : DelegatingCacheAdapter(new FaultyCacheAdapter()), ICacheRace, ICacheRenewal
    {
        public Task<RaceResult> RaceAsync(string key, Func<CancellationToken, Task<RaceResult>> fn, TimeSpan waitFor, TimeSpan ttl, CancellationToken cancellationToken = default)
            => ((ICacheRace)Inner).RaceAsync(key, fn, waitFor, ttl, cancellationToken);

        public ValueTask<bool> RenewIfUnchangedAsync(string key, byte[] expected, TimeSpan ttl, CancellationToken cancellationToken = default)
            => ValueTask.FromException<bool>(new InvalidOperationException("upstream is down"));
    }

    // Reads fail (like a Redis that is down); a miss still runs the factory in process.
    private sealed class ReadFailingCache(MemoryCache inner) : ICacheAdapter
    {
        public ValueTask<byte[]?> GetAsync(string key, CancellationToken cancellationToken = default) => throw new InvalidOperationException("down");

        public ValueTask<CacheFetchResult> FetchAsync(string key, CancellationToken cancellationToken = default) => throw new InvalidOperationException("down");

        public ValueTask SetAsync(string key, byte[] value, TimeSpan ttl, CancellationToken cancellationToken = default) => inner.SetAsync(key, value, ttl, cancellationToken);

        public ValueTask DeleteAsync(IEnumerable<string> keys, CancellationToken cancellationToken = default) => inner.DeleteAsync(keys, cancellationToken);

        public ValueTask ClearAsync(CancellationToken cancellationToken = default) => inner.ClearAsync(cancellationToken);

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;

        public void Dispose()
        {
        }
    }
}
