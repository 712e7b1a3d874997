namespace HybridCaching.Tests.Memory;

/// <summary>Entries carrying a decoded value are served from the memory level's own index (system clock): every write,
/// removal, clear, expiry and eviction reaches a reader exactly as it does for entries without one.</summary>
public sealed class MemoryCacheDecodedIndexTests
{
    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);

    // The key's entry after keeping a decoded value on it.
    private static LocalCacheEntry KeepDecoded(ILocalCacheEntries local, string key, object decoded)
    {
        Assert.True(local.TryGetLocal(key, out var entry));
        local.KeepDecoded(key, entry, decoded, 64);
        Assert.True(local.TryGetLocal(key, out var kept));
        Assert.Same(decoded, kept.Decoded);
        return kept;
    }

    [Fact]
    public void TryGetLocal_AfterTheBytesAreReplaced_ReturnsTheNewBytesWithoutTheDecodedValue()
    {
        using var cache = new MemoryCache(1_000, 1 << 20, TimeSpan.Zero);
        ILocalCacheEntries local = cache;
        cache.Set("k", [1], Hour);
        KeepDecoded(local, "k", "one");

        cache.Set("k", [2], Hour);

        Assert.True(local.TryGetLocal("k", out var entry));
        Assert.Equal([2], entry.Value);
        Assert.Null(entry.Decoded);
    }

    [Fact]
    public async Task TryGetLocal_AfterDeleteOrClear_FindsNothing()
    {
        using var cache = new MemoryCache(1_000, 1 << 20, TimeSpan.Zero);
        ILocalCacheEntries local = cache;
        cache.Set("a", [1], Hour);
        cache.Set("b", [2], Hour);
        KeepDecoded(local, "a", "one");
        KeepDecoded(local, "b", "two");

        cache.Delete(["a"]);
        Assert.False(local.TryGetLocal("a", out _));
        Assert.True(local.TryGetLocal("b", out _));

        await cache.ClearAsync();
        Assert.False(local.TryGetLocal("b", out _));
    }

    [Fact]
    public void TryGetLocal_AfterALargerThanBoundWrite_FindsNothing()
    {
        using var cache = new MemoryCache(1_000, 10_000, TimeSpan.Zero);
        ILocalCacheEntries local = cache;
        cache.Set("k", [1], Hour);
        KeepDecoded(local, "k", "one");

        cache.Set("k", new byte[20_000], Hour);

        Assert.False(local.TryGetLocal("k", out _));
    }

    [Fact]
    public void TryGetLocal_AfterARenewal_KeepsTheDecodedValue()
    {
        using var cache = new MemoryCache(1_000, 1 << 20, TimeSpan.Zero);
        ILocalCacheEntries local = cache;
        cache.Set("k", [1], Hour);
        var kept = KeepDecoded(local, "k", "one");

        Assert.True(cache.RenewIfUnchanged("k", kept.Value, TimeSpan.FromHours(2)));

        Assert.True(local.TryGetLocal("k", out var entry));
        Assert.Same("one", entry.Decoded);
        Assert.True(cache.Fetch("k").TimeToLive > Hour);
    }

    [Fact]
    public async Task TryGetLocal_AfterTheEntryExpires_FindsNothing()
    {
        using var cache = new MemoryCache(1_000, 1 << 20, TimeSpan.Zero);
        ILocalCacheEntries local = cache;
        cache.Set("k", [1], TimeSpan.FromMilliseconds(1_500));
        KeepDecoded(local, "k", "one");

        var expired = false;
        for (var i = 0; i < 200 && !expired; i++)
        {
            await Task.Delay(25);
            expired = !local.TryGetLocal("k", out _);
        }

        Assert.True(expired, "the entry outlived its time to live by more than three seconds");
        Assert.Null(cache.Get("k"));
    }

    [Fact]
    public async Task TryGetLocal_AnEntryCompactedAway_LeavesTheIndex()
    {
        // Room for about ten entries: overfilling it compacts the least recently used away, the first entry first.
        using var cache = new MemoryCache(10, 10_000, TimeSpan.Zero);
        ILocalCacheEntries local = cache;
        cache.Set("first", [1], Hour);
        KeepDecoded(local, "first", "one");
        for (var i = 0; i < 10; i++)
        {
            for (var j = 0; j < 10; j++)
            {
                cache.Set($"filler-{i}-{j}", new byte[100], Hour);
            }

            await Task.Delay(20); // compaction runs in the background
        }

        var gone = false;
        for (var i = 0; i < 250 && !gone; i++)
        {
            gone = !local.TryGetLocal("first", out _);
            await Task.Delay(20);
        }

        Assert.True(gone, "an entry the runtime cache compacted away was still served after five seconds");
        Assert.Null(cache.Get("first"));
    }

    [Fact]
    public void KeepDecoded_ValuesKeptInTurnOnOneEntry_ChargeDoesNotGrow()
    {
        using var cache = new MemoryCache(1_000, 1 << 20, TimeSpan.Zero);
        ILocalCacheEntries local = cache;
        cache.Set("k", new byte[100], Hour);
        KeepDecoded(local, "k", "one");
        var charged = cache.ChargedBytes;

        for (var i = 0; i < 100; i++)
        {
            KeepDecoded(local, "k", i % 2 == 0 ? "two" : "one");
        }

        Assert.Equal(charged, cache.ChargedBytes);
    }

    [Fact]
    public void TryGetLocal_AfterDispose_Throws()
    {
        var cache = new MemoryCache(1_000, 1 << 20, TimeSpan.Zero);
        ILocalCacheEntries local = cache;
        cache.Set("k", [1], Hour);
        KeepDecoded(local, "k", "one");

        cache.Dispose();

        Assert.Throws<ObjectDisposedException>(() => local.TryGetLocal("k", out _));
    }
}
