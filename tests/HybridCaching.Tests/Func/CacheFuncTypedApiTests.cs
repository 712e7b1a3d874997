using HybridCaching.Serialization;
using Microsoft.Extensions.Time.Testing;

namespace HybridCaching.Tests.Func;

public sealed class CacheFuncTypedApiTests : IAsyncDisposable
{
    private static readonly TimeSpan FreshFor = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan Ttl = TimeSpan.FromHours(1);

    private readonly FakeTimeProvider _time = new();
    private readonly MemoryCache _memory;
    private readonly CacheFunc _func;

    public CacheFuncTypedApiTests()
    {
        _memory = new MemoryCache(10_000, 1 << 24, TimeSpan.Zero, _time);
        _func = NewFunc();
    }

    public ValueTask DisposeAsync() => _memory.DisposeAsync();

    public sealed class Product
    {
        public int Id { get; set; }

        public string Name { get; set; } = "";
    }

    public sealed class Unserializable
    {
        public int Broken
        {
            get => throw new InvalidOperationException("cannot read me");
            set => _ = value;
        }
    }

    private CacheFunc NewFunc(bool reuseValues = false) => new(_memory, new CacheFuncOptions
    {
        WaitFor = TimeSpan.FromSeconds(10),
        FreshFor = FreshFor,
        Ttl = Ttl,
        TimeProvider = _time,
        ReuseValues = reuseValues,
    });

    private static Func<CancellationToken, Task<T>> NotCalled<T>() => _ => throw new InvalidOperationException("the factory must not run");

    [Fact]
    public async Task TryGetAsync_MissingKey_ReturnsNotFound()
    {
        var result = await _func.TryGetAsync<string>("missing");

        Assert.False(result.Found);
        Assert.False(result.TryGetValue(out _));
        Assert.Null(result.Value);
    }

    [Fact]
    public async Task SetAsync_ThenTryGetAndDoAsync_ReturnTheValueWithoutFactory()
    {
        await _func.SetAsync("p", new Product { Id = 7, Name = "n" });

        var found = await _func.TryGetAsync<Product>("p");
        Assert.True(found.TryGetValue(out var product));
        Assert.Equal(7, product.Id);
        Assert.False(found.IsStale);
        Assert.Equal("n", (await _func.DoAsync("p", NotCalled<Product>())).Name);
    }

    [Fact]
    public async Task SetAsync_String_WritesTheGoEnvelopeDoAsyncWrites()
    {
        var now = _time.GetUtcNow();
        await _func.SetAsync("s", "b");

        var stored = await _memory.GetAsync("s");
        Assert.True(CachePayload.TryRead(stored, out var payload));
        Assert.Equal(now + FreshFor, payload.BestBefore);
        Assert.Equal(Convert.FromHexString("a162"), payload.Value.ToArray());
        Assert.Equal(Ttl, (await _memory.FetchAsync("s")).TimeToLive);
    }

    [Fact]
    public async Task SetAsync_String_IsByteIdenticalToTheGoVector()
    {
        _time.SetUtcNow(DateTimeOffset.FromUnixTimeSeconds(1_700_000_000) - FreshFor);

        await _func.SetAsync("g", "b");

        // SPEC §6: payload {BestBefore: 1700000000 s, Value: "b" (msgpack a162), V: 1}.
        var expected = "83aa426573744265666f7265d6ff6553f100a556616c7565c402a162a15601";
        Assert.Equal(expected, Convert.ToHexString((await _memory.GetAsync("g"))!).ToLowerInvariant());
    }

    [Fact]
    public async Task SetAsync_WithEntryOptions_StoresWithThatTtlAndFreshFor()
    {
        await _func.SetAsync("s", "v", new CacheEntryOptions { FreshFor = TimeSpan.FromSeconds(10), Ttl = TimeSpan.FromSeconds(30) });
        Assert.Equal(TimeSpan.FromSeconds(30), (await _memory.FetchAsync("s")).TimeToLive);

        _time.Advance(TimeSpan.FromSeconds(11));
        var stale = await _func.TryGetAsync<string>("s");
        Assert.True(stale.Found);
        Assert.True(stale.IsStale);
        Assert.Equal(0, _func.PendingBackgroundRefreshes);

        _time.Advance(TimeSpan.FromSeconds(20));
        Assert.False((await _func.TryGetAsync<string>("s")).Found);
    }

    [Fact]
    public async Task SetAsync_ReusedImmutableValue_NextHitReturnsTheNewValue()
    {
        await _func.DoAsync("s", _ => Task.FromResult("old"));
        Assert.Equal("old", await _func.DoAsync("s", NotCalled<string>()));
        Assert.True(((ILocalCacheEntries)_memory).TryGetLocal("s", out var entry));
        Assert.NotNull(entry.Decoded);

        await _func.SetAsync("s", "new");

        Assert.Equal("new", await _func.DoAsync("s", NotCalled<string>()));
    }

    [Fact]
    public async Task SetAsync_ReuseValuesOn_ReplacesTheSharedInstance()
    {
        var func = NewFunc(reuseValues: true);
        await func.DoAsync("p", _ => Task.FromResult(new Product { Id = 1, Name = "old" }));
        var reused = await func.DoAsync("p", NotCalled<Product>());
        Assert.Same(reused, await func.DoAsync("p", NotCalled<Product>()));

        await func.SetAsync("p", new Product { Id = 1, Name = "new" });

        var after = await func.DoAsync("p", NotCalled<Product>());
        Assert.NotSame(reused, after);
        Assert.Equal("new", after.Name);
    }

    [Fact]
    public async Task SetAsync_ValueTheSerializerRejects_ThrowsAndKeepsTheStoredEntry()
    {
        await _func.SetAsync("k", "kept");

        var error = await Assert.ThrowsAnyAsync<Exception>(async () => await _func.SetAsync("k", new Unserializable()));

        Assert.Contains("cannot read me", error.ToString(), StringComparison.Ordinal);

        Assert.Equal("kept", (await _func.TryGetAsync<string>("k")).Value);
    }

    [Fact]
    public async Task TypedMethods_BadArguments_ThrowAndKeepStoredValues()
    {
        await _func.SetAsync("kept", "v");

        await Assert.ThrowsAsync<ArgumentNullException>(async () => await _func.TryGetAsync<string>(null!));
        await Assert.ThrowsAsync<ArgumentException>(async () => await _func.TryGetAsync<string>(""));
        await Assert.ThrowsAsync<ArgumentException>(async () => await _func.SetAsync("", "v"));
        await Assert.ThrowsAsync<ArgumentException>(async () => await _func.RemoveAsync(""));
        await Assert.ThrowsAsync<ArgumentNullException>(async () => await _func.RemoveAsync((IEnumerable<string>)null!));
        await Assert.ThrowsAsync<ArgumentException>(async () => await _func.RemoveAsync(["kept", ""]));
        await Assert.ThrowsAsync<ArgumentNullException>(async () => await _func.DoAsync("kept", (Func<CancellationToken, Task<string>>)null!, new CacheEntryOptions()));
        var ttl = Assert.Throws<ArgumentOutOfRangeException>(() => new CacheEntryOptions { Ttl = TimeSpan.Zero });
        Assert.Equal("Ttl", ttl.ParamName);
        var freshFor = Assert.Throws<ArgumentOutOfRangeException>(() => new CacheEntryOptions { FreshFor = TimeSpan.FromSeconds(-1) });
        Assert.Equal("FreshFor", freshFor.ParamName);

        Assert.Equal("v", (await _func.TryGetAsync<string>("kept")).Value);
    }

    [Fact]
    public async Task RemoveAsync_Key_NextDoAsyncRunsTheFactory()
    {
        await _func.SetAsync("a", "1");
        await _func.SetAsync("b", "2");
        await _func.SetAsync("c", "3");

        await _func.RemoveAsync("a");
        await _func.RemoveAsync(["b", "never-set"]);

        Assert.Equal("fresh", await _func.DoAsync("a", _ => Task.FromResult("fresh")));
        Assert.False((await _func.TryGetAsync<string>("b")).Found);
        Assert.Equal("3", (await _func.TryGetAsync<string>("c")).Value);
    }

    [Fact]
    public async Task TryGetAsync_ForeignBytes_ReturnsNotFound()
    {
        await _memory.SetAsync("g", [0xc1, 0x00, 0xff], Ttl);
        await _func.SetAsync("n", 42);

        Assert.False((await _func.TryGetAsync<string>("g")).Found);
        Assert.False((await _func.TryGetAsync<Product>("n")).Found);
        Assert.Equal(42, (await _func.TryGetAsync<int>("n")).Value);
    }

    [Fact]
    public async Task DoAsync_WithEntryOptions_StoresWithThatTtlAndFreshFor()
    {
        var now = _time.GetUtcNow();
        var options = new CacheEntryOptions { FreshFor = TimeSpan.FromSeconds(5), Ttl = TimeSpan.FromMinutes(2) };
        var seen = new List<(TimeSpan FreshFor, TimeSpan Ttl)>();

        await _func.DoAsync("o", (context, _) =>
        {
            seen.Add((context.FreshFor, context.Ttl));
            return Task.FromResult("v");
        }, options);

        Assert.Equal((TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(2)), Assert.Single(seen));
        var fetched = await _memory.FetchAsync("o");
        Assert.Equal(TimeSpan.FromMinutes(2), fetched.TimeToLive);
        Assert.True(CachePayload.TryRead(fetched.Value, out var payload));
        Assert.Equal(now + TimeSpan.FromSeconds(5), payload.BestBefore);
    }

    // A factory that takes no context runs without one unless the call's options need it; either way the entry gets the
    // right lifetimes.
    [Fact]
    public async Task DoAsync_TokenOnlyFactory_StoresWithTheDefaultsOrTheCallsOptions()
    {
        var now = _time.GetUtcNow();

        Assert.Equal("plain", await _func.DoAsync("plain", _ => Task.FromResult("plain")));
        Assert.Equal("state", await _func.DoAsync("state", "state", static (state, _) => Task.FromResult(state)));
        Assert.Equal("opted", await _func.DoAsync("opted", _ => Task.FromResult("opted"), new CacheEntryOptions { FreshFor = TimeSpan.FromSeconds(5), Ttl = TimeSpan.FromMinutes(2) }));

        foreach (var (key, freshFor, ttl) in new[] { ("plain", FreshFor, Ttl), ("state", FreshFor, Ttl), ("opted", TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(2)) })
        {
            var fetched = await _memory.FetchAsync(key);
            Assert.Equal(ttl, fetched.TimeToLive);
            Assert.True(CachePayload.TryRead(fetched.Value, out var payload));
            Assert.Equal(now + freshFor, payload.BestBefore);
            Assert.False(payload.HasTags);
        }
    }

    [Fact]
    public async Task DoAsync_FactoryChoosesTtlAndFreshFor_EntryStoredWithThem()
    {
        var now = _time.GetUtcNow();
        var seen = TimeSpan.Zero;

        await _func.DoAsync("t", (context, _) =>
        {
            seen = context.Ttl;
            context.Ttl = TimeSpan.FromMinutes(5);
            context.FreshFor = TimeSpan.FromSeconds(20);
            return Task.FromResult("token");
        });

        Assert.Equal(Ttl, seen);
        var fetched = await _memory.FetchAsync("t");
        Assert.Equal(TimeSpan.FromMinutes(5), fetched.TimeToLive);
        Assert.True(CachePayload.TryRead(fetched.Value, out var payload));
        Assert.Equal(now + TimeSpan.FromSeconds(20), payload.BestBefore);
    }

    [Fact]
    public async Task DoAsync_FactorySetsNonPositiveTtl_CallerGetsTheErrorAndNothingIsStored()
    {
        var error = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await _func.DoAsync("z", (context, _) =>
        {
            context.Ttl = TimeSpan.Zero;
            return Task.FromResult("v");
        }));

        Assert.Equal("Ttl", error.ParamName);
        Assert.Null(await _memory.GetAsync("z"));
    }

    [Fact]
    public async Task DoAsync_StaleHitWithEntryOptions_RefreshUsesTheSameOptions()
    {
        var options = new CacheEntryOptions { Ttl = TimeSpan.FromMinutes(3) };
        await _func.DoAsync("r", _ => Task.FromResult("1"), options);
        _time.Advance(FreshFor + TimeSpan.FromSeconds(1));

        Assert.Equal("1", await _func.DoAsync("r", _ => Task.FromResult("2"), options));
        await _func.WhenBackgroundRefreshesIdleAsync().WaitAsync(TimeSpan.FromSeconds(30));

        var fetched = await _memory.FetchAsync("r");
        Assert.Equal(TimeSpan.FromMinutes(3), fetched.TimeToLive);
        Assert.Equal("2", await _func.DoAsync("r", NotCalled<string>()));
    }
}
