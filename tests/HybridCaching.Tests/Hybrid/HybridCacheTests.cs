using HybridCaching.Testing;
using HybridCaching.Testing.Conformance;
using Microsoft.Extensions.Time.Testing;

namespace HybridCaching.Tests.Hybrid;

public sealed class HybridMemoryConformanceTests : CacheAdapterConformanceTests
{
    protected override Task<ICacheAdapter> CreateAdapterAsync() => Task.FromResult<ICacheAdapter>(new HybridCache(
        new MemoryCache(100_000, 1 << 29, TimeSpan.FromHours(1)),
        new MemoryCache(100_000, 1 << 29, TimeSpan.FromHours(1))));
}

public sealed class HybridMemoryFuncConformanceTests : CacheFuncConformanceTests
{
    protected override Task<ICacheAdapter> CreateAdapterAsync() => Task.FromResult<ICacheAdapter>(new HybridCache(
        new MemoryCache(100_000, 1 << 29, TimeSpan.FromHours(1)),
        new MemoryCache(100_000, 1 << 29, TimeSpan.FromHours(1))));
}

public sealed class HybridCacheTests
{
    [Fact]
    public async Task FetchAsync_UpstreamHasValue_CopiesItDownstreamWithRemainingTtl()
    {
        var time = new FakeTimeProvider();
        var upstream = new MemoryCache(100, 1 << 20, TimeSpan.Zero, time);
        var downstream = new MemoryCache(100, 1 << 20, TimeSpan.Zero, time);
        await using var hybrid = new HybridCache(upstream, downstream);
        await upstream.SetAsync("k", [1, 2], TimeSpan.FromMinutes(10));
        time.Advance(TimeSpan.FromMinutes(4));

        var fetched = await hybrid.FetchAsync("k");

        Assert.Equal([1, 2], fetched.Value);
        Assert.Equal(TimeSpan.FromMinutes(6), fetched.TimeToLive);
        var copied = await downstream.FetchAsync("k");
        Assert.Equal([1, 2], copied.Value);
        Assert.Equal(TimeSpan.FromMinutes(6), copied.TimeToLive);
    }

    [Fact]
    public async Task FetchAsync_UpstreamValueWithoutExpiry_IsCopiedDownForTheDownstreamMaxTtl()
    {
        var upstream = new NoExpiryUpstream([4]);
        var downstream = new MemoryCache(100, 1 << 20, TimeSpan.FromMinutes(5));
        await using var hybrid = new HybridCache(upstream, downstream);

        Assert.Equal([4], (await hybrid.FetchAsync("k")).Value);
        var copied = await downstream.FetchAsync("k");
        Assert.Equal([4], copied.Value);
        Assert.InRange(copied.TimeToLive, TimeSpan.FromMinutes(4.9), TimeSpan.FromMinutes(5));
    }

    // An upstream holding one value stored without expiry (as another program may write to Redis).
    private sealed class NoExpiryUpstream(byte[] value) : ICacheAdapter
    {
        public ValueTask<byte[]?> GetAsync(string key, CancellationToken cancellationToken = default) => new(value);

        public ValueTask<CacheFetchResult> FetchAsync(string key, CancellationToken cancellationToken = default)
            => new(new CacheFetchResult(value, Timeout.InfiniteTimeSpan));

        public ValueTask SetAsync(string key, byte[] value, TimeSpan ttl, CancellationToken cancellationToken = default) => default;

        public ValueTask DeleteAsync(IEnumerable<string> keys, CancellationToken cancellationToken = default) => default;

        public ValueTask ClearAsync(CancellationToken cancellationToken = default) => default;

        public ValueTask DisposeAsync() => default;

        public void Dispose()
        {
        }
    }

    [Fact]
    public async Task RenewIfUnchangedAsync_UpstreamNoLongerHoldsTheBytes_DropsTheDownstreamCopy()
    {
        var upstream = new MemoryCache(100, 1 << 20, TimeSpan.Zero);
        var downstream = new MemoryCache(100, 1 << 20, TimeSpan.Zero);
        await using var hybrid = new HybridCache(upstream, downstream);
        byte[] read = [1];
        await hybrid.SetAsync("k", read, TimeSpan.FromMinutes(1));
        await upstream.DeleteAsync(["k"]); // removed by another server; this one's copy is outdated

        Assert.False(await hybrid.RenewIfUnchangedAsync("k", read, TimeSpan.FromMinutes(10)));
        Assert.Null(await downstream.GetAsync("k"));
        Assert.Null(await upstream.GetAsync("k"));
    }

    [Fact]
    public async Task RenewIfUnchangedAsync_UpstreamCannotRenew_RenewsNothing()
    {
        var downstream = new MemoryCache(100, 1 << 20, TimeSpan.Zero);
        await using var hybrid = new HybridCache(new NoExpiryUpstream([4]), downstream);
        await downstream.SetAsync("k", [4], TimeSpan.FromMinutes(1));

        Assert.False(await hybrid.RenewIfUnchangedAsync("k", [4], TimeSpan.FromMinutes(10)));
        Assert.InRange((await downstream.FetchAsync("k")).TimeToLive, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1));
    }

    [Fact]
    public async Task RenewIfUnchangedAsync_UpstreamFails_RenewsTheDownstreamCopy()
    {
        var downstream = new MemoryCache(100, 1 << 20, TimeSpan.Zero);
        await using var hybrid = new HybridCache(new FaultyRenewingUpstream(), downstream);
        await downstream.SetAsync("k", [4], TimeSpan.FromMinutes(1));

        Assert.True(await hybrid.RenewIfUnchangedAsync("k", [4], TimeSpan.FromMinutes(10)));
        Assert.InRange((await downstream.FetchAsync("k")).TimeToLive, TimeSpan.FromMinutes(9), TimeSpan.FromMinutes(10));
    }

    // An upstream that is down, renewal included.
    private sealed class FaultyRenewingUpstream : DelegatingCacheAdapter, ICacheRenewal
    {
        public FaultyRenewingUpstream()
            : base(new FaultyCacheAdapter())
        {
        }

        public ValueTask<bool> RenewIfUnchangedAsync(string key, byte[] expected, TimeSpan ttl, CancellationToken cancellationToken = default)
            => ValueTask.FromException<bool>(new InvalidOperationException("upstream is down"));
    }

    [Fact]
    public async Task GetAsync_DownstreamMiss_FetchesUpstreamAndCopiesDown()
    {
        var upstream = new MemoryCache(100, 1 << 20, TimeSpan.Zero);
        var downstream = new MemoryCache(100, 1 << 20, TimeSpan.Zero);
        await using var hybrid = new HybridCache(upstream, downstream);
        await upstream.SetAsync("k", [9], TimeSpan.FromMinutes(10));

        Assert.Equal([9], await hybrid.GetAsync("k"));
        Assert.Equal([9], await downstream.GetAsync("k"));
    }

    [Fact]
    public async Task SetAsync_WritesBothLevels()
    {
        var upstream = new MemoryCache(100, 1 << 20, TimeSpan.Zero);
        var downstream = new MemoryCache(100, 1 << 20, TimeSpan.Zero);
        await using var hybrid = new HybridCache(upstream, downstream);
        await hybrid.SetAsync("k", [3], TimeSpan.FromMinutes(1));
        Assert.Equal([3], await upstream.GetAsync("k"));
        Assert.Equal([3], await downstream.GetAsync("k"));
    }

    [Fact]
    public async Task Adapter_UpstreamFailsEveryCall_ReadsAndRacesServeFromDownstream()
    {
        var upstream = new FaultyCacheAdapter();
        var downstream = new MemoryCache(100, 1 << 20, TimeSpan.Zero);
        await using var hybrid = new HybridCache(upstream, downstream);
        await downstream.SetAsync("k", [5], TimeSpan.FromMinutes(1));

        Assert.Null(await hybrid.GetAsync("missing"));
        Assert.Equal([5], await hybrid.GetAsync("k"));
        Assert.Equal([5], (await hybrid.FetchAsync("k")).Value);
        var raced = await hybrid.RaceAsync("r", _ => Task.FromResult(new RaceResult([6])), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(1));
        Assert.Equal([6], raced.Value);
        Assert.True(upstream.Calls >= 3);
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await hybrid.DeleteAsync("k"));
    }

    [Fact]
    public async Task SetAsync_UpstreamRefusesTheWrite_ThrowsAndKeepsNoDownstreamCopy()
    {
        var upstream = new FaultyCacheAdapter();
        var downstream = new MemoryCache(100, 1 << 20, TimeSpan.Zero);
        await using var hybrid = new HybridCache(upstream, downstream);
        await downstream.SetAsync("k", [1], TimeSpan.FromMinutes(1)); // an older copy, which the upstream may no longer hold either

        await Assert.ThrowsAsync<InvalidOperationException>(async () => await hybrid.SetAsync("k", [2], TimeSpan.FromMinutes(1)));

        Assert.Null(await downstream.GetAsync("k"));
        Assert.Null(await hybrid.GetAsync("k"));
    }

    [Fact]
    public async Task DoAsync_UpstreamFailsEveryCall_CallersNeverSeeAnException()
    {
        var upstream = new FaultyCacheAdapter();
        await using var hybrid = new HybridCache(upstream, new MemoryCache(100, 1 << 20, TimeSpan.Zero));
        var func = new CacheFunc(hybrid, TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(20), TimeSpan.FromMinutes(1));
        var calls = 0;

        for (var i = 0; i < 20; i++)
        {
            var values = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => func.DoAsync("k", async token =>
            {
                Interlocked.Increment(ref calls);
                await Task.Yield();
                return "v";
            }).AsTask()));
            Assert.All(values, v => Assert.Equal("v", v));
            await Task.Delay(5);
        }

        Assert.InRange(calls, 1, 20);
        Assert.True(upstream.Calls > 0);
    }

    [Fact]
    public async Task RaceAsync_WorkFails_ExceptionReachesCallerAndWorkRunsOnce()
    {
        var calls = 0;
        await using var hybrid = new HybridCache(new MemoryCache(100, 1 << 20, TimeSpan.Zero), new MemoryCache(100, 1 << 20, TimeSpan.Zero));
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => hybrid.RaceAsync(
            "k",
            _ =>
            {
                calls++;
                throw new InvalidOperationException("boom");
            },
            TimeSpan.FromSeconds(5),
            TimeSpan.FromSeconds(1)));
        Assert.Equal("boom", error.Message);
        Assert.Equal(1, calls);
    }

    [Fact]
    public async Task RaceAsync_UpstreamWithoutARace_RunsTheWorkHereBoundedByWaitFor()
    {
        var time = new FakeTimeProvider();
        await using var hybrid = new HybridCache(new MemoryCache(100, 1 << 20, TimeSpan.Zero), new MemoryCache(100, 1 << 20, TimeSpan.Zero), timeProvider: time);
        var workToken = CancellationToken.None;
        var race = hybrid.RaceAsync(
            "k",
            token =>
            {
                workToken = token;
                return new TaskCompletionSource<RaceResult>().Task;
            },
            TimeSpan.FromSeconds(5),
            TimeSpan.FromSeconds(1));

        time.Advance(TimeSpan.FromSeconds(4));
        Assert.False(race.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(1));
        await Assert.ThrowsAsync<TimeoutException>(() => race);
        Assert.True(workToken.IsCancellationRequested);
    }

    public static TheoryData<string> RaceOutcomes => new() { "remote", "timeout" };

    [Theory]
    [MemberData(nameof(RaceOutcomes))]
    public async Task RaceAsync_UpstreamRaceEndsWithRemoteFailureOrTimeout_PropagatesWithoutRunningWorkHere(string outcome)
    {
        Exception failure = outcome == "remote" ? new RemoteRaceException("leader failed") : new TimeoutException("waited too long");
        await using var hybrid = new HybridCache(new FailingRaceUpstream(failure), new MemoryCache(100, 1 << 20, TimeSpan.Zero));
        var calls = 0;

        var error = await Assert.ThrowsAnyAsync<Exception>(() => hybrid.RaceAsync(
            "k",
            _ =>
            {
                calls++;
                return Task.FromResult(new RaceResult([1]));
            },
            TimeSpan.FromSeconds(5),
            TimeSpan.FromSeconds(1)));

        Assert.Same(failure, error);
        Assert.Equal(0, calls);
    }

    // An upstream whose race ends with a given outcome without running the work (as a waiter on another server's leader).
    private sealed class FailingRaceUpstream(Exception failure) : ICacheAdapter, ICacheRace
    {
        public ValueTask<byte[]?> GetAsync(string key, CancellationToken cancellationToken = default) => new((byte[]?)null);

        public ValueTask<CacheFetchResult> FetchAsync(string key, CancellationToken cancellationToken = default) => new(CacheFetchResult.NotFound);

        public ValueTask SetAsync(string key, byte[] value, TimeSpan ttl, CancellationToken cancellationToken = default) => default;

        public ValueTask DeleteAsync(IEnumerable<string> keys, CancellationToken cancellationToken = default) => default;

        public ValueTask ClearAsync(CancellationToken cancellationToken = default) => default;

        public Task<RaceResult> RaceAsync(string key, Func<CancellationToken, Task<RaceResult>> fn, TimeSpan waitFor, TimeSpan ttl, CancellationToken cancellationToken = default)
            => Task.FromException<RaceResult>(failure);

        public ValueTask DisposeAsync() => default;

        public void Dispose()
        {
        }
    }

    [Fact]
    public void Constructor_SameAdapterTwice_ThrowsArgumentException()
    {
        var memory = new MemoryCache(1, 1, TimeSpan.Zero);
        Assert.Throws<ArgumentException>(() => new HybridCache(memory, memory));
        Assert.Throws<ArgumentNullException>(() => new HybridCache(null!, memory));
    }
}
