using System.Globalization;
using System.Text;
using HybridCaching.MicrosoftHybrid;
using HybridCaching.Testing;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.Time.Testing;

namespace HybridCaching.Tests.Func;

// Every read path checks tags; an eviction outlives the entries it covers; a tag read that fails or hangs is a miss and
// leaves nothing behind; tags that cannot be stored as they are given are refused.
public sealed class TagEvictionTests : IAsyncDisposable
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan WaitFor = TimeSpan.FromSeconds(10);

    private readonly FakeTimeProvider _time = new();
    private readonly MemoryCache _store; // the shared cache (Redis) behind the upstream
    private readonly TagUpstream _upstream;
    private readonly MemoryCache _memory; // this server's memory level
    private readonly HybridCache _hybrid;
    private int _calls;

    public TagEvictionTests()
    {
        _store = new MemoryCache(100_000, 1 << 26, TimeSpan.Zero, _time);
        _upstream = new TagUpstream(_store);
        _memory = new MemoryCache(100_000, 1 << 26, TimeSpan.Zero, _time);
        _hybrid = new HybridCache(_upstream, _memory, timeProvider: _time);
    }

    public async ValueTask DisposeAsync()
    {
        _upstream.Release();
        await _hybrid.DisposeAsync();
        await _store.DisposeAsync();
    }

    private CacheFunc NewFunc(ICacheAdapter cache, TimeSpan? ttl = null) => new(cache, new CacheFuncOptions
    {
        WaitFor = WaitFor,
        FreshFor = ttl < TimeSpan.FromMinutes(10) ? ttl.Value : TimeSpan.FromMinutes(10), // at most the ttl
        Ttl = ttl ?? TimeSpan.FromHours(1),
        TimeProvider = _time,
    });

    private Func<CacheFuncContext, CancellationToken, Task<string>> Returns(string value) => (_, _) =>
    {
        Interlocked.Increment(ref _calls);
        return Task.FromResult(value);
    };

    // Another server evicts the tag: the time is in the shared cache, and the backplane drops this server's copy.
    private async Task EvictElsewhereAsync(string tag)
    {
        _time.Advance(TimeSpan.FromSeconds(1));
        var ticks = _time.GetUtcNow().UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        await _store.SetAsync(TagInvalidations.KeyPrefix + tag, Encoding.ASCII.GetBytes(ticks.ToString(CultureInfo.InvariantCulture)), TimeSpan.FromHours(1));
        await _memory.DeleteAsync([TagInvalidations.KeyPrefix + tag]);
        _time.Advance(TimeSpan.FromSeconds(1));
    }

    // Item 3: reads without a factory check tags.
    [Fact]
    public async Task TryGetAsync_TagEvicted_NotFound()
    {
        using var memory = new MemoryCache(1000, 1 << 20, TimeSpan.Zero, _time);
        var func = NewFunc(memory);
        await func.SetAsync("set", "v", ["t"]);
        await func.DoAsync("done", ["t"], Returns("v"));
        Assert.True((await func.TryGetAsync<string>("set")).Found);

        await func.RemoveByTagAsync("t");

        Assert.False((await func.TryGetAsync<string>("set")).Found);
        Assert.False((await func.TryGetAsync<string>("done")).Found);
    }

    [Fact]
    public async Task TryGetAsync_TagEvictedByAnotherServer_NotFound()
    {
        var func = NewFunc(_hybrid);
        await func.SetAsync("k", "v", ["t"]);
        Assert.True((await func.TryGetAsync<string>("k")).Found);

        await EvictElsewhereAsync("t");

        Assert.False((await func.TryGetAsync<string>("k")).Found);
    }

    [Fact]
    public async Task TryGetAsync_TagReadFails_NotFound()
    {
        var func = NewFunc(_hybrid);
        await func.SetAsync("k", "v", ["t"]);
        await EvictElsewhereAsync("t");
        _upstream.Mode = UpstreamMode.Down;

        Assert.False((await func.TryGetAsync<string>("k")).Found);
    }

    [Fact]
    public async Task HybridCacheAbstraction_DisableUnderlyingData_TagEvicted_ReturnsDefault()
    {
        using var memory = new MemoryCache(1000, 1 << 20, TimeSpan.Zero, _time);
        var cache = new CacheFuncHybridCache(NewFunc(memory));
        var readOnly = new HybridCacheEntryOptions { Flags = HybridCacheEntryFlags.DisableUnderlyingData };
        await cache.SetAsync("k", "v", tags: ["t"]);
        Assert.Equal("v", await cache.GetOrCreateAsync("k", _ => ValueTask.FromResult("factory"), readOnly));

        await cache.RemoveByTagAsync("t");

        Assert.Null(await cache.GetOrCreateAsync("k", _ => ValueTask.FromResult("factory"), readOnly));
    }

    // Item 4: an eviction is kept as long as the longest-lived tagged entry it may cover.
    [Theory]
    [InlineData("CacheEntryOptions.Ttl")]
    [InlineData("CacheFuncContext.Ttl")]
    [InlineData("HybridCacheEntryOptions.Expiration")]
    [InlineData("SetAsync")]
    public async Task RemoveByTagAsync_EntryTtlLongerThanTheFunctions_EntryStaysEvicted(string how)
    {
        using var memory = new MemoryCache(1000, 1 << 20, TimeSpan.Zero, _time);
        var func = NewFunc(memory, ttl: TimeSpan.FromMinutes(1));
        var cache = new CacheFuncHybridCache(func);
        var hour = TimeSpan.FromHours(1);
        switch (how)
        {
            case "CacheEntryOptions.Ttl":
                await func.DoAsync("k", (context, _) => { context.Tags = ["t"]; return Task.FromResult("old"); }, new CacheEntryOptions { Ttl = hour });
                break;
            case "CacheFuncContext.Ttl":
                await func.DoAsync("k", ["t"], (context, _) => { context.Ttl = hour; return Task.FromResult("old"); });
                break;
            case "HybridCacheEntryOptions.Expiration":
                await cache.GetOrCreateAsync("k", _ => ValueTask.FromResult("old"), new HybridCacheEntryOptions { Expiration = hour }, ["t"]);
                break;
            default:
                await func.SetAsync("k", "old", ["t"], new CacheEntryOptions { Ttl = hour });
                break;
        }

        await func.RemoveByTagAsync("t");
        _time.Advance(TimeSpan.FromMinutes(30)); // past the function's ttl, within the entry's

        Assert.Equal("new", await func.DoAsync("k", ["t"], Returns("new")));
        Assert.Equal("new", await cache.GetOrCreateAsync("k", _ => ValueTask.FromResult("not called"), tags: ["t"]));
    }

    // Item 5: a failed tag read is a miss and is not remembered as "never evicted".
    [Fact]
    public async Task DoAsync_TagReadFailsThenRedisRecovers_EvictedValueIsNeverServed()
    {
        var func = NewFunc(_hybrid);
        Assert.Equal("old", await func.DoAsync("k", ["t"], Returns("old")));
        await EvictElsewhereAsync("t");

        _upstream.Mode = UpstreamMode.Down;
        var sourceDown = await Assert.ThrowsAsync<InvalidOperationException>(async () =>
            await func.DoAsync<string>("k", ["t"], (_, _) => throw new InvalidOperationException("source down")));
        Assert.Equal("source down", sourceDown.Message);

        _upstream.Mode = UpstreamMode.Up;
        Assert.Equal("new", await func.DoAsync("k", ["t"], Returns("new")));
    }

    [Fact]
    public async Task DoAsync_TagReadHangs_FactoryRunsWithinWaitFor()
    {
        var func = NewFunc(_hybrid);
        await func.DoAsync("k", ["t"], Returns("old"));
        await EvictElsewhereAsync("t");
        _upstream.Mode = UpstreamMode.HoldTagReads;

        var call = func.DoAsync("k", ["t"], Returns("new")).AsTask();
        await _upstream.WhenTagReadsPending(1).WaitAsync(Guard);
        _time.Advance(WaitFor / 2);

        Assert.Equal("new", await call.WaitAsync(Guard));
        Assert.Equal(2, _calls);
    }

    [Fact]
    public async Task DoAsync_ManyTags_AllTagReadsAreSentBeforeTheFirstAnswer()
    {
        var tags = Enumerable.Range(0, 100).Select(i => "t" + i).ToArray();
        var func = NewFunc(_hybrid);
        await func.DoAsync("k", tags, Returns("old"));
        await EvictElsewhereAsync("t99");
        await _memory.DeleteAsync(tags.Select(t => TagInvalidations.KeyPrefix + t));
        var readsBefore = _upstream.TagReads;
        _upstream.Mode = UpstreamMode.HoldTagReads;

        var call = func.DoAsync("k", tags, Returns("new")).AsTask();
        await _upstream.WhenTagReadsPending(tags.Length).WaitAsync(Guard);
        _upstream.Release();

        Assert.Equal("new", await call.WaitAsync(Guard));
        Assert.Equal(tags.Length, _upstream.TagReads - readsBefore); // and read once: copied to memory
        Assert.Equal(2, _calls);
    }

    [Fact]
    public async Task DoAsync_OneTagKnownEvictedOthersUnreadable_IsAMiss()
    {
        var func = NewFunc(_hybrid);
        await func.DoAsync("k", ["a", "b"], Returns("old"));
        _time.Advance(TimeSpan.FromSeconds(1));
        await func.RemoveByTagAsync("b"); // known here
        await _memory.DeleteAsync([TagInvalidations.KeyPrefix + "a"]);
        _time.Advance(TimeSpan.FromSeconds(1));
        _upstream.Mode = UpstreamMode.Down;

        Assert.Equal("new", await func.DoAsync("k", ["a", "b"], Returns("new")));
        Assert.Equal(2, _calls);
    }

    // Item 15: tags are compared as they are stored (UTF-8), so a tag UTF-8 cannot carry is refused.
    // (Not a theory: test case strings travel through UTF-8 too, and would arrive with U+FFFD in place of the surrogate.)
    [Fact]
    public async Task Tags_UnpairedSurrogate_RefusedWithTheParameterName()
    {
        foreach (var tag in new[] { "a\uD800", "\uDC00a", "\uDC00\uD800" })
        {
            await AssertRefusedAsync(tag);
        }
    }

    private async Task AssertRefusedAsync(string tag)
    {
        using var memory = new MemoryCache(1000, 1 << 20, TimeSpan.Zero, _time);
        var func = NewFunc(memory);
        var cache = new CacheFuncHybridCache(func);

        Assert.Equal("tags", (await Assert.ThrowsAsync<ArgumentException>(async () => await func.DoAsync("k", ["ok", tag], Returns("v")))).ParamName);
        Assert.Equal("tags", (await Assert.ThrowsAsync<ArgumentException>(async () => await func.SetAsync("k", "v", [tag]))).ParamName);
        Assert.Equal("tag", (await Assert.ThrowsAsync<ArgumentException>(async () => await func.RemoveByTagAsync(tag))).ParamName);
        Assert.Equal("tags", (await Assert.ThrowsAsync<ArgumentException>(async () => await cache.GetOrCreateAsync("k", _ => ValueTask.FromResult("v"), tags: [tag]))).ParamName);
        Assert.Equal("tags", (await Assert.ThrowsAsync<ArgumentException>(async () => await cache.SetAsync("k", "v", tags: [tag]))).ParamName);
        Assert.Equal("tag", (await Assert.ThrowsAsync<ArgumentException>(async () => await cache.RemoveByTagAsync(tag))).ParamName);
        var set = await Assert.ThrowsAsync<ArgumentException>(async () => await func.DoAsync("k", (context, _) =>
        {
            context.Tags = [tag];
            return Task.FromResult("v");
        }));
        Assert.Equal("Tags", set.ParamName);
        Assert.Equal(0, _calls);
        Assert.Null(await memory.GetAsync("k"));
    }

    [Fact]
    public async Task RemoveByTagAsync_TagWithASurrogatePair_Evicts()
    {
        var func = NewFunc(_hybrid);
        await func.DoAsync("k", ["\U0001F600"], Returns("old"));

        await func.RemoveByTagAsync("\U0001F600");

        Assert.Equal("new", await func.DoAsync("k", ["\U0001F600"], Returns("new")));
    }

    private enum UpstreamMode
    {
        Up,
        Down,
        HoldTagReads,
    }

    // The shared cache as Redis would be: up, down (every call fails), or answering tag reads only when released.
    private sealed class TagUpstream(MemoryCache store) : ICacheAdapter, ICacheRace
    {
        private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly object _gate = new();
        private readonly List<(int Count, TaskCompletionSource Reached)> _waiters = [];
        private int _pending;
        private int _tagReads;

        public UpstreamMode Mode { get; set; }

        public int TagReads => Volatile.Read(ref _tagReads);

        public void Release() => _release.TrySetResult();

        public Task WhenTagReadsPending(int count)
        {
            lock (_gate)
            {
                var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                if (_pending >= count)
                {
                    reached.SetResult();
                }
                else
                {
                    _waiters.Add((count, reached));
                }

                return reached.Task;
            }
        }

        public ValueTask<byte[]?> GetAsync(string key, CancellationToken cancellationToken = default)
            => ReadAsync(key, () => store.GetAsync(key, cancellationToken));

        public ValueTask<CacheFetchResult> FetchAsync(string key, CancellationToken cancellationToken = default)
            => ReadAsync(key, () => store.FetchAsync(key, cancellationToken));

        public ValueTask SetAsync(string key, byte[] value, TimeSpan ttl, CancellationToken cancellationToken = default)
            => Mode == UpstreamMode.Down ? ValueTask.FromException(Down()) : store.SetAsync(key, value, ttl, cancellationToken);

        public ValueTask DeleteAsync(IEnumerable<string> keys, CancellationToken cancellationToken = default)
            => Mode == UpstreamMode.Down ? ValueTask.FromException(Down()) : store.DeleteAsync(keys, cancellationToken);

        public ValueTask ClearAsync(CancellationToken cancellationToken = default) => store.ClearAsync(cancellationToken);

        public Task<RaceResult> RaceAsync(string key, Func<CancellationToken, Task<RaceResult>> fn, TimeSpan waitFor, TimeSpan ttl, CancellationToken cancellationToken = default)
            => Mode == UpstreamMode.Down ? Task.FromException<RaceResult>(Down()) : fn(cancellationToken);

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;

        public void Dispose()
        {
        }

        private static InvalidOperationException Down() => new("upstream is down");

        private async ValueTask<T> ReadAsync<T>(string key, Func<ValueTask<T>> read)
        {
            if (Mode == UpstreamMode.Down)
            {
                throw Down();
            }

            if (key.StartsWith(TagInvalidations.KeyPrefix, StringComparison.Ordinal))
            {
                Interlocked.Increment(ref _tagReads);
                if (Mode == UpstreamMode.HoldTagReads)
                {
                    lock (_gate)
                    {
                        _pending++;
                        foreach (var waiter in _waiters.Where(w => w.Count <= _pending))
                        {
                            waiter.Reached.TrySetResult();
                        }
                    }

                    await _release.Task;
                }
            }

            return await read();
        }
    }
}
