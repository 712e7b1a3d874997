using HybridCaching.Serialization;
using HybridCaching.Testing;
using Microsoft.Extensions.Time.Testing;

namespace HybridCaching.Tests.Func;

public sealed class CacheFuncTests : IAsyncDisposable
{
    private static readonly TimeSpan WaitFor = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan FreshFor = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan Ttl = TimeSpan.FromHours(1);

    private readonly FakeTimeProvider _time = new();
    private readonly MemoryCache _memory;
    private readonly CacheFunc _func;

    public CacheFuncTests()
    {
        _memory = new MemoryCache(10_000, 1 << 24, TimeSpan.Zero, _time);
        _func = NewFunc(_memory);
    }

    public ValueTask DisposeAsync() => _memory.DisposeAsync();

    private CacheFunc NewFunc(ICacheAdapter cache) => new(cache, new CacheFuncOptions
    {
        WaitFor = WaitFor,
        FreshFor = FreshFor,
        Ttl = Ttl,
        TimeProvider = _time,
    });

    private async Task<string?> StoredValueAsync(ICacheAdapter cache, string key)
    {
        var stored = await cache.GetAsync(key);
        return stored is not null && CachePayload.TryRead(stored, out var payload)
            ? CacheFunc.DefaultSerializer.Deserialize<string>(new System.Buffers.ReadOnlySequence<byte>(payload.ValueMemory))
            : null;
    }

    [Fact]
    public async Task DoAsync_FreshHit_ReturnsCachedValueWithoutCallingFn()
    {
        var calls = 0;
        Task<string> Fn(CancellationToken _)
        {
            calls++;
            return Task.FromResult("v" + calls);
        }

        Assert.Equal("v1", await _func.DoAsync("k", Fn));
        _time.Advance(FreshFor - TimeSpan.FromSeconds(1));
        Assert.Equal("v1", await _func.DoAsync("k", Fn));
        Assert.Equal(1, calls);
    }

    [Fact]
    public async Task DoBytesAsync_FreshHit_CompletesSynchronouslyAllocatingOnlyTheValue()
    {
        Func<CancellationToken, Task<byte[]>> fn = _ => Task.FromResult(new byte[100]);

        // A byte[100] takes 128 bytes with its header; nothing else may be allocated.
        Assert.InRange(await HitAllocation.PerHitAsync(() => _func.DoBytesAsync("k", fn)), 100, 128);
    }

    [Fact]
    public async Task DoAsync_FreshHitOfString_ReturnsTheDecodedStringAllocatingNothing()
    {
        Func<CancellationToken, Task<string>> fn = _ => Task.FromResult("hello world!");

        // Strings are immutable: the first hit keeps its decoded value, the next ones return it.
        Assert.Equal(0, await HitAllocation.PerHitAsync(() => _func.DoAsync("k", fn)));
    }

    [Fact]
    public async Task DoAsync_ManyConcurrentStaleHits_ReturnOldValueAndRefreshOnce()
    {
        await _func.DoAsync("k", _ => Task.FromResult("old"));
        _time.Advance(FreshFor + TimeSpan.FromSeconds(1));
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var refreshes = 0;
        var backgroundFlags = new List<bool>();

        var values = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => _func.DoAsync<string>("k", async (context, token) =>
        {
            Interlocked.Increment(ref refreshes);
            lock (backgroundFlags)
            {
                backgroundFlags.Add(context.IsBackgroundRefresh);
            }

            await release.Task;
            return "new";
        }).AsTask()));

        Assert.All(values, v => Assert.Equal("old", v));
        release.SetResult();
        await EventuallyAsync(async () => await StoredValueAsync(_memory, "k") == "new");
        Assert.Equal(1, refreshes);
        Assert.Equal([true], backgroundFlags);
        Assert.Equal("new", await _func.DoAsync<string>("k", _ => throw new InvalidOperationException("fresh: not called")));
    }

    [Fact]
    public async Task DoAsync_StaleHitButFetchedPayloadIsFresh_DoesNotRunFn()
    {
        var upstream = new MemoryCache(100, 1 << 20, TimeSpan.Zero, _time);
        var downstream = new MemoryCache(100, 1 << 20, TimeSpan.Zero, _time);
        await using var hybrid = new HybridCache(upstream, downstream);
        var func = NewFunc(hybrid);
        await func.DoAsync("k", _ => Task.FromResult("old"));
        _time.Advance(FreshFor + TimeSpan.FromSeconds(1));

        // Another server refreshed the shared upstream meanwhile; this server's memory still holds the stale payload.
        var otherServer = NewFunc(upstream);
        await upstream.DeleteAsync("k");
        await otherServer.DoAsync("k", _ => Task.FromResult("from-other-server"));

        var calls = 0;
        Assert.Equal("old", await func.DoAsync("k", _ =>
        {
            Interlocked.Increment(ref calls);
            return Task.FromResult("from-this-server");
        }));
        await EventuallyAsync(async () => await StoredValueAsync(downstream, "k") == "from-other-server");
        Assert.Equal(0, calls);
    }

    [Fact]
    public async Task DoAsync_HundredCallersTimesTenKeys_RunFnOncePerKey()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var calls = new int[10];
        var runs = new List<(int Key, Task<string> Run)>();
        for (var caller = 0; caller < 100; caller++)
        {
            for (var key = 0; key < 10; key++)
            {
                var k = key;
                runs.Add((k, _func.DoAsync("key" + k, async _ =>
                {
                    Interlocked.Increment(ref calls[k]);
                    await release.Task;
                    return "value" + k;
                }).AsTask()));
            }
        }

        release.SetResult();
        foreach (var (key, run) in runs)
        {
            Assert.Equal("value" + key, await run);
        }

        Assert.All(calls, c => Assert.Equal(1, c));
    }

    [Fact]
    public async Task DoAsync_FnThrows_EveryWaiterGetsTheExceptionAndNothingIsCached()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var failure = new InvalidOperationException("source down");
        var runs = Enumerable.Range(0, 10).Select(_ => _func.DoAsync<string>("k", async _ =>
        {
            await release.Task;
            throw failure;
        }).AsTask()).ToList();
        release.SetResult();

        foreach (var run in runs)
        {
            Assert.Same(failure, await Assert.ThrowsAsync<InvalidOperationException>(() => run));
        }

        Assert.Null(await _memory.GetAsync("k"));
    }

    [Fact]
    public async Task DoAsync_RefreshThrows_StaleValueKeepsBeingServedAndRetriedAfterTheSuppressionWindow()
    {
        await _func.DoAsync("k", _ => Task.FromResult("old"));
        _time.Advance(FreshFor + TimeSpan.FromSeconds(1));
        var attempts = 0;
        Task<string> Failing(CancellationToken _)
        {
            Interlocked.Increment(ref attempts);
            throw new InvalidOperationException("source down");
        }

        Assert.Equal("old", await _func.DoAsync("k", Failing));
        await EventuallyAsync(() => Task.FromResult(Volatile.Read(ref attempts) == 1));

        // Within the suppression window (min(2 s, freshFor)) stale hits do not hammer the failing source.
        for (var i = 0; i < 20; i++)
        {
            Assert.Equal("old", await _func.DoAsync("k", Failing));
        }

        Assert.Equal(1, Volatile.Read(ref attempts));

        // After it, the next stale hit tries again.
        await EventuallyAsync(async () =>
        {
            _time.Advance(TimeSpan.FromSeconds(2));
            Assert.Equal("old", await _func.DoAsync("k", Failing));
            return Volatile.Read(ref attempts) >= 2;
        });
        Assert.Equal("old", await StoredValueAsync(_memory, "k"));
    }

    [Fact]
    public async Task DoAsync_WaitForExceeded_ThrowsTimeoutAndCancelsFnToken()
    {
        var token = CancellationToken.None;
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var run = _func.DoAsync<string>("slow", async t =>
        {
            token = t;
            started.SetResult();
            await Task.Delay(Timeout.Infinite, CancellationToken.None).WaitAsync(t);
            return "never";
        }).AsTask();
        await started.Task;

        _time.Advance(WaitFor);

        await Assert.ThrowsAsync<TimeoutException>(() => run);
        Assert.True(token.IsCancellationRequested);
        Assert.Null(await _memory.GetAsync("slow"));
    }

    [Fact]
    public async Task DoAsync_OneCallerCancels_OthersStillGetTheValue()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var fnToken = CancellationToken.None;
        Task<string> Fn(CancellationToken token)
        {
            fnToken = token;
            return release.Task.ContinueWith(_ => "v", TaskScheduler.Default);
        }

        using var impatient = new CancellationTokenSource();
        var first = _func.DoAsync("k", Fn, impatient.Token).AsTask();
        var second = _func.DoAsync("k", Fn).AsTask();
        await impatient.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first);
        Assert.False(fnToken.IsCancellationRequested);
        release.SetResult();
        Assert.Equal("v", await second);
    }

    [Fact]
    public async Task DoAsync_EveryCallerCancels_FnTokenFiresAndTheNextCallRunsAgain()
    {
        var fnCancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        async Task<string> Abandoned(CancellationToken token)
        {
            token.Register(() => fnCancelled.TrySetResult());
            await Task.Delay(Timeout.Infinite, token);
            return "never";
        }

        using var a = new CancellationTokenSource();
        using var b = new CancellationTokenSource();
        var first = _func.DoAsync("k", Abandoned, a.Token).AsTask();
        var second = _func.DoAsync("k", Abandoned, b.Token).AsTask();
        await a.CancelAsync();
        Assert.False(fnCancelled.Task.IsCompleted);
        await b.CancelAsync();

        await fnCancelled.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => second);

        // The abandoned run is not joined: a new caller starts a new run.
        Assert.Equal("v", await _func.DoAsync("k", _ => Task.FromResult("v")));
    }

    [Fact]
    public async Task DoAsync_FnThrowsItsOwnCancellation_EveryWaiterGetsThatSameException()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var own = new TaskCanceledException("HttpClient.Timeout elapsed", new TimeoutException("inner"));
        async Task<string> Fn(CancellationToken _)
        {
            await gate.Task;
            throw own;
        }

        var calls = Enumerable.Range(0, 5).Select(_ => _func.DoAsync("k", Fn).AsTask()).ToList();
        gate.SetResult();
        foreach (var call in calls)
        {
            Assert.Same(own, await Assert.ThrowsAsync<TaskCanceledException>(() => call));
        }
    }

    [Fact]
    public async Task DoAsync_NoCache_ValueReachesEveryWaiterAndNothingIsStored()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var calls = 0;
        var runs = Enumerable.Range(0, 10).Select(_ => _func.DoAsync<string>("k", async (context, _) =>
        {
            Interlocked.Increment(ref calls);
            context.NoCache = true;
            await release.Task;
            return "uncached";
        }).AsTask()).ToList();
        release.SetResult();

        Assert.All(await Task.WhenAll(runs), v => Assert.Equal("uncached", v));
        Assert.Equal(1, calls);
        Assert.Null(await _memory.GetAsync("k"));
    }

    [Fact]
    public async Task DoAsync_FnReturnsNull_NullIsCached()
    {
        var calls = 0;
        Task<string?> Fn(CancellationToken _)
        {
            calls++;
            return Task.FromResult<string?>(null);
        }

        Assert.Null(await _func.DoAsync("k", Fn));
        Assert.Null(await _func.DoAsync("k", Fn));
        Assert.Equal(1, calls);
        Assert.NotNull(await _memory.GetAsync("k"));
    }

    public static TheoryData<string> CorruptedEntries => new()
    {
        "garbage",
        "truncated",
        "version2",
        "otherSerializer",
        "empty",
    };

    [Theory]
    [MemberData(nameof(CorruptedEntries))]
    public async Task DoAsync_CorruptedStoredBytes_AreAMissAndFnRuns(string kind)
    {
        var valid = CachePayload.Write(_time.GetUtcNow() + FreshFor, CacheFunc.DefaultSerializer.Serialize("cached"));
        byte[] stored = kind switch
        {
            "garbage" => [0xde, 0xad, 0xbe, 0xef, 0xc1, 0x00, 0xff],
            "truncated" => valid[..^3],
            "version2" => [.. valid[..^1], 0x02],
            "otherSerializer" => CachePayload.Write(_time.GetUtcNow() + FreshFor, "\u0001\u0002not this serializer"u8),
            _ => [],
        };
        await _memory.SetAsync("k", stored, Ttl);

        Assert.Equal("computed", await _func.DoAsync("k", _ => Task.FromResult("computed")));
        Assert.Equal("computed", await StoredValueAsync(_memory, "k"));
    }

    [Fact]
    public async Task DoAsync_ValueLargerThanCacheBudget_IsReturnedButNotStored()
    {
        await using var tiny = new MemoryCache(10, 1_000, TimeSpan.Zero, _time);
        var func = NewFunc(tiny);
        var big = new string('x', 5_000);
        Assert.Equal(big, await func.DoAsync("k", _ => Task.FromResult(big)));
        Assert.Null(await tiny.GetAsync("k"));
    }

    [Fact]
    public async Task DoAsync_BadKey_ThrowsArgumentExceptionAndKeepsCache()
    {
        await _func.DoAsync("k", _ => Task.FromResult("kept"));
        await Assert.ThrowsAsync<ArgumentNullException>(async () => await _func.DoAsync(null!, _ => Task.FromResult("x")));
        await Assert.ThrowsAsync<ArgumentException>(async () => await _func.DoAsync("", _ => Task.FromResult("x")));
        await Assert.ThrowsAsync<ArgumentNullException>(async () => await _func.DoAsync("k", (Func<CancellationToken, Task<string>>)null!));
        Assert.Equal("kept", await StoredValueAsync(_memory, "k"));
    }

    [Theory]
    [InlineData(0, 1, 1, "waitFor")]
    [InlineData(1, -1, 1, "freshFor")]
    [InlineData(1, 1, 0, "ttl")]
    public void Constructor_NonPositiveDuration_ThrowsNamingTheParameter(int waitFor, int freshFor, int ttl, string name)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new CacheFunc(
            _memory, TimeSpan.FromSeconds(waitFor), TimeSpan.FromSeconds(freshFor), TimeSpan.FromSeconds(ttl)));
        Assert.Equal(name, error.ParamName);
    }

    [Fact]
    public async Task DoAsync_AdapterDisposed_ThrowsObjectDisposedException()
    {
        await _memory.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await _func.DoAsync("k", _ => Task.FromResult("x")));
    }

    [Fact]
    public async Task DoBytesAsync_StoresTheBytesAsTheyAre()
    {
        Assert.Equal([1, 2, 3], await _func.DoBytesAsync("k", _ => Task.FromResult(new byte[] { 1, 2, 3 })));
        var stored = await _memory.GetAsync("k");
        Assert.True(CachePayload.TryRead(stored, out var payload));
        Assert.Equal([1, 2, 3], payload.Value.ToArray());
        Assert.Equal(_time.GetUtcNow() + FreshFor, payload.BestBefore);
    }

    [Fact]
    public async Task DoAsync_ReadNeverAnswers_EndsAtWaitForInsteadOfHanging()
    {
        // A cache read that never completes (a hung server without a timeout of its own) is abandoned at waitFor.
        await using var memory = new MemoryCache(10_000, 1 << 24, TimeSpan.Zero);
        var func = new CacheFunc(new HungReadCache(memory), TimeSpan.FromMilliseconds(200), FreshFor, Ttl);

        var call = func.DoAsync("k", _ => Task.FromResult("v")).AsTask();
        var first = await Task.WhenAny(call, Task.Delay(TimeSpan.FromSeconds(20)));

        Assert.Same(call, first);
        if (call.IsFaulted)
        {
            Assert.IsType<TimeoutException>(call.Exception!.InnerException);
        }
        else
        {
            Assert.Equal("v", await call);
        }
    }

    // Reads never answer; everything else goes to the inner adapter.
    private sealed class HungReadCache(ICacheAdapter inner) : ICacheAdapter
    {
        public ValueTask<byte[]?> GetAsync(string key, CancellationToken cancellationToken = default) => new(new TaskCompletionSource<byte[]?>().Task);

        public ValueTask<CacheFetchResult> FetchAsync(string key, CancellationToken cancellationToken = default) => new(new TaskCompletionSource<CacheFetchResult>().Task);

        public ValueTask SetAsync(string key, byte[] value, TimeSpan ttl, CancellationToken cancellationToken = default) => inner.SetAsync(key, value, ttl, cancellationToken);

        public ValueTask DeleteAsync(IEnumerable<string> keys, CancellationToken cancellationToken = default) => inner.DeleteAsync(keys, cancellationToken);

        public ValueTask ClearAsync(CancellationToken cancellationToken = default) => inner.ClearAsync(cancellationToken);

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;

        public void Dispose()
        {
        }
    }
}
