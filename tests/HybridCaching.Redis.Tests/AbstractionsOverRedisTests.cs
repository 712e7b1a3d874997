using System.Text;
using HybridCaching.MicrosoftHybrid;
using HybridCaching.Distributed;
using HybridCaching.Testing;
using HybridCaching.Testing.Redis;
using Microsoft.Extensions.Caching.Distributed;
using MicrosoftHybridCache = Microsoft.Extensions.Caching.Hybrid.HybridCache;

namespace HybridCaching.Redis.Tests;

// The typed API, Microsoft's HybridCache and IDistributedCache over Redis + memory, with two "servers"
// (two RedisCache instances on one redis-server, each with its own memory level).
[Collection(RedisCollection.Name)]
[Trait("Category", "Redis")]
public sealed class AbstractionsOverRedisTests(RedisServerFixture server) : IAsyncLifetime
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);

    private readonly List<ICacheAdapter> _adapters = [];
    private readonly string _scope = Guid.NewGuid().ToString("N")[..12];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var adapter in _adapters)
        {
            await adapter.DisposeAsync();
        }
    }

    private async Task<ICacheAdapter> NewServerAsync()
    {
        var adapter = new HybridCache(await RedisTestCache.CreateAsync(server, RedisTestCache.CacheOptions(_scope)), new MemoryCache(10_000, 64 << 20, TimeSpan.Zero));
        _adapters.Add(adapter);
        return adapter;
    }

    private static CacheFunc NewFunc(ICacheAdapter adapter) => new(adapter, TimeSpan.FromSeconds(20), TimeSpan.FromMinutes(1), TimeSpan.FromHours(1));

    [Fact]
    public async Task GetOrCreateAsync_TwoServersConcurrentCallers_RunOneFactory()
    {
        MicrosoftHybridCache a = new CacheFuncHybridCache(NewFunc(await NewServerAsync()));
        MicrosoftHybridCache b = new CacheFuncHybridCache(NewFunc(await NewServerAsync()));
        var release = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var runs = 0;
        async ValueTask<string> Factory(CancellationToken token)
        {
            Interlocked.Increment(ref runs);
            return await release.Task;
        }

        var first = a.GetOrCreateAsync("k", Factory).AsTask();
        while (Volatile.Read(ref runs) == 0 && !first.IsCompleted)
        {
            await Task.Yield();
        }

        var callers = Enumerable.Range(0, 10).Select(i => (i % 2 == 0 ? a : b).GetOrCreateAsync("k", Factory).AsTask()).Append(first).ToList();
        release.SetResult("v");

        Assert.All(await Task.WhenAll(callers).WaitAsync(Guard), v => Assert.Equal("v", v));
        Assert.Equal(1, runs);
    }

    [Fact]
    public async Task SetAsync_OnOneServer_IsReadOnTheOtherAndRemovable()
    {
        var a = NewFunc(await NewServerAsync());
        var b = NewFunc(await NewServerAsync());

        await a.SetAsync("p", "price 1", new CacheEntryOptions { Ttl = TimeSpan.FromMinutes(5) });

        Assert.Equal("price 1", (await b.TryGetAsync<string>("p")).Value);
        Assert.Equal("price 1", await b.DoAsync("p", _ => Task.FromResult("not called")));
        await a.RemoveAsync("p");
        Assert.False((await a.TryGetAsync<string>("p")).Found);
    }

    [Fact]
    public async Task DistributedCache_SlidingEntry_StoredInRedisWithItsWindow()
    {
        var a = await NewServerAsync();
        var b = await NewServerAsync();
        IDistributedCache onA = new CacheAdapterDistributedCache(a);
        IDistributedCache onB = new CacheAdapterDistributedCache(b);

        await onA.SetAsync("session", Encoding.UTF8.GetBytes("s"), new DistributedCacheEntryOptions { SlidingExpiration = TimeSpan.FromMinutes(10) });

        Assert.Equal("s", Encoding.UTF8.GetString((await onB.GetAsync("session"))!));
        var upstream = await a.FetchAsync("session");
        Assert.InRange(upstream.TimeToLive, TimeSpan.FromMinutes(9), TimeSpan.FromMinutes(10));
        await onB.RemoveAsync("session");
        Assert.Null(await onB.GetAsync("session"));
    }

    [Fact]
    public async Task DistributedCache_RemoveOnAnotherServerDuringASlide_StaysRemoved()
    {
        var a = new PausingReadCache(await NewServerAsync());
        var b = await NewServerAsync();
        IDistributedCache onA = new CacheAdapterDistributedCache(a);
        IDistributedCache onB = new CacheAdapterDistributedCache(b);
        await onA.SetAsync("session", Encoding.UTF8.GetBytes("s"), new DistributedCacheEntryOptions { SlidingExpiration = TimeSpan.FromMinutes(10) });

        var pause = a.PauseNextRead();
        var slide = onA.GetAsync("session");
        await pause.Reached.WaitAsync(Guard);
        await onB.RemoveAsync("session"); // the logout, on another server, between A's read and its renewal
        pause.Release();

        Assert.Equal("s", Encoding.UTF8.GetString((await slide.WaitAsync(Guard))!)); // A read it before the logout
        Assert.False((await b.FetchAsync("session")).Found); // Redis
        Assert.Null(await onA.GetAsync("session"));
        Assert.Null(await onB.GetAsync("session"));
    }
}
