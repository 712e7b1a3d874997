using System.Runtime.CompilerServices;
using HybridCaching.Testing;
using Microsoft.Extensions.Time.Testing;

namespace HybridCaching.Tests.Func;

// DoAsync<TState, T>: the factory gets its state passed in, so a static lambda makes a hit allocation-free; and
// CacheFuncContext.TryGetStaleValue: a background refresh sees the value it replaces.
public sealed class StateOverloadTests : IAsyncDisposable
{
    private const string Key = "items:42";

    private static readonly TimeSpan FreshFor = TimeSpan.FromMinutes(1);

    private readonly FakeTimeProvider _time = new();
    private readonly MemoryCache _memory;
    private readonly CacheFunc _func;

    public StateOverloadTests()
    {
        _memory = new MemoryCache(10_000, 1 << 24, TimeSpan.Zero, _time);
        _func = new CacheFunc(_memory, new CacheFuncOptions
        {
            WaitFor = TimeSpan.FromSeconds(10),
            FreshFor = FreshFor,
            Ttl = TimeSpan.FromHours(1),
            TimeProvider = _time,
            ReuseValues = true,
        });
    }

    public ValueTask DisposeAsync() => _memory.DisposeAsync();

    [Fact]
    public async Task StateOverload_FreshHitWithStaticLambda_AllocatesNothing()
    {
        var db = new CallAllocationTests.ItemsDb();
        var id = 42;
        await _func.DoAsync(Key, (db, id), static (s, ct) => s.db.LoadItemsAsync(s.id, ct));

        Assert.Equal(0, await HitAllocation.PerHitAsync(() => _func.DoAsync(Key, (db, id), static (s, ct) => s.db.LoadItemsAsync(s.id, ct))));
        Assert.Equal(0, await HitAllocation.PerHitAsync(() => _func.DoAsync(Key, (db, id), static (s, _, ct) => s.db.LoadItemsAsync(s.id, ct))));
        Assert.Equal(1, db.Loads);
    }

    [Fact]
    public async Task StateOverload_MissThenHit_RunsTheFactoryOnceWithTheState()
    {
        var db = new CallAllocationTests.ItemsDb();

        Assert.Equal(["item 7"], await _func.DoAsync("items:7", (db, id: 7), static (s, ct) => s.db.LoadItemsAsync(s.id, ct)));
        Assert.Equal(["item 7"], await _func.DoAsync("items:7", (db, id: 8), static (s, ct) => s.db.LoadItemsAsync(s.id, ct)));
        Assert.Equal(1, db.Loads);
    }

    [Fact]
    public async Task StateOverload_ConcurrentMisses_RunTheFactoryOnce()
    {
        var release = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var state = (release, count: new StrongBox<int>());
        var calls = Enumerable.Range(0, 8)
            .Select(_ => _func.DoAsync("k", state, static (s, _) => { Interlocked.Increment(ref s.count.Value); return s.release.Task; }).AsTask())
            .ToArray();

        release.SetResult("v");
        Assert.All(await Task.WhenAll(calls).WaitAsync(TimeSpan.FromSeconds(30)), value => Assert.Equal("v", value));
        Assert.Equal(1, state.count.Value);
    }

    [Fact]
    public async Task StateOverload_WithOptionsAndTags_StoresThemAndAFactoryContextSeesThem()
    {
        var options = new CacheEntryOptions { FreshFor = TimeSpan.FromMinutes(5), Ttl = TimeSpan.FromHours(2) };
        string[] tags = ["items"];
        (TimeSpan FreshFor, TimeSpan Ttl, IReadOnlyCollection<string>? Tags, string Key, bool Refresh) seen = default;

        var value = await _func.DoAsync("k", "v", (state, context, _) =>
        {
            seen = (context.FreshFor, context.Ttl, context.Tags, context.Key, context.IsBackgroundRefresh);
            return Task.FromResult(state);
        }, options, tags);

        Assert.Equal("v", value);
        Assert.Equal((options.FreshFor.Value, options.Ttl.Value, (IReadOnlyCollection<string>?)tags, "k", false), seen);
        _time.Advance(TimeSpan.FromMinutes(4));
        Assert.Equal(new CacheGetResult<string>(true, "v", false), await _func.TryGetAsync<string>("k"));

        await _func.RemoveByTagAsync("items");
        Assert.False((await _func.TryGetAsync<string>("k")).Found);
    }

    [Fact]
    public async Task StateOverload_InvalidArguments_Throw()
    {
        await Assert.ThrowsAsync<ArgumentNullException>(async () => await _func.DoAsync("k", 1, (Func<int, CancellationToken, Task<int>>)null!));
        await Assert.ThrowsAsync<ArgumentNullException>(async () => await _func.DoAsync("k", 1, (Func<int, CacheFuncContext, CancellationToken, Task<int>>)null!));
        await Assert.ThrowsAsync<ArgumentException>(async () => await _func.DoAsync("", 1, static (s, _) => Task.FromResult(s)));
        await Assert.ThrowsAsync<ArgumentException>(async () => await _func.DoAsync("k", 1, static (s, _, _) => Task.FromResult(s), null, [""]));
    }

    [Fact]
    public async Task StaleValue_OnAMiss_IsAbsent()
    {
        bool? found = null;
        await _func.DoAsync("k", (context, _) =>
        {
            found = context.TryGetStaleValue(out string? _);
            return Task.FromResult("v1");
        });

        Assert.False(found);
    }

    [Fact]
    public async Task StaleValue_OnABackgroundRefresh_IsTheValueWhoseStaleHitStartedIt()
    {
        await _func.DoAsync("k", static (_, _) => Task.FromResult("v1"));
        _time.Advance(FreshFor + TimeSpan.FromSeconds(1));

        (bool Found, string? Stale, bool Refresh) seen = default;
        var value = await _func.DoAsync("k", (context, _) =>
        {
            seen = (context.TryGetStaleValue(out string? stale), stale, context.IsBackgroundRefresh);
            return Task.FromResult("v2");
        });
        await _func.WhenBackgroundRefreshesIdleAsync().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal("v1", value);
        Assert.Equal((true, "v1", true), seen);
        Assert.Equal("v2", await _func.DoAsync("k", static (_, _) => Task.FromResult("not called")));
    }

    [Fact]
    public async Task StaleValue_ThroughTheStateOverloadAndOfAValueType_IsTyped()
    {
        await _func.DoAsync("n", 41L, static (s, _) => Task.FromResult(s));
        _time.Advance(FreshFor + TimeSpan.FromSeconds(1));

        var seen = new StrongBox<long>();
        Assert.Equal(41L, await _func.DoAsync("n", seen, static (s, context, _) =>
        {
            s.Value = context.TryGetStaleValue(out long stale) ? stale : -1;
            return Task.FromResult(s.Value + 1);
        }));
        await _func.WhenBackgroundRefreshesIdleAsync().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(41L, seen.Value);
        Assert.Equal(42L, await _func.DoAsync("n", 0L, static (s, _) => Task.FromResult(s)));
    }
}
