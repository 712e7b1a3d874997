using HybridCaching;
using HybridCaching.Redis;

namespace ConsoleDemo;

/// <summary>The README's quick start, kept here so it compiles with every build.</summary>
internal static class QuickStart
{
    public static async Task<List<Item>> GetItemsAsync(ItemStore db, int id)
    {
        // Memory: ~100,000 items, ~512 MB, 1 hour max TTL. Add Redis upstream to share across servers.
        var memory = new MemoryCache(maxItems: 100_000, maxBytes: 512L << 20, maxTtl: TimeSpan.FromHours(1));
        await using ICacheAdapter cache = new HybridCache(upstream: new RedisCache("localhost:6379"), downstream: memory);

        // 20 s execution timeout, 1 min fresh-for, 1 h TTL (a long TTL keeps serving while the source is down).
        var cacheFunc = new CacheFunc(cache, TimeSpan.FromSeconds(20), TimeSpan.FromMinutes(1), TimeSpan.FromHours(1));

        List<Item> items = await cacheFunc.DoAsync($"items:{id}", ct => db.LoadItemsAsync(id, ct));

        List<Item> sameItems = await cacheFunc.DoAsync($"items:{id}", (db, id), static (s, ct) => s.db.LoadItemsAsync(s.id, ct));

        var page = await cacheFunc.DoAsync<Page>("page:home", async (context, ct) =>
        {
            var result = await db.RenderAsync(ct);
            context.NoCache = result.IsPartial;   // returned to every waiting caller, not stored
            return result;
        });

        return sameItems.Count == items.Count ? items : sameItems;
    }
}

internal sealed record Item(int Id, string Name);

internal sealed record Page(string Html, bool IsPartial);

internal sealed class ItemStore
{
    public Task<List<Item>> LoadItemsAsync(int id, CancellationToken cancellationToken)
        => Task.FromResult(new List<Item> { new(id, "item " + id) });

    public Task<Page> RenderAsync(CancellationToken cancellationToken) => Task.FromResult(new Page("<h1>home</h1>", IsPartial: false));
}
