using HybridCaching.Testing;
using HybridCaching.Testing.Conformance;
using Microsoft.Extensions.Time.Testing;

namespace HybridCaching.Tests.Memory;

public sealed class MemoryCacheConformanceTests : CacheAdapterConformanceTests
{
    protected override Task<ICacheAdapter> CreateAdapterAsync()
        => Task.FromResult<ICacheAdapter>(new MemoryCache(100_000, 1 << 29, TimeSpan.FromHours(1)));
}

public sealed class MemoryCacheFuncConformanceTests : CacheFuncConformanceTests
{
    protected override Task<ICacheAdapter> CreateAdapterAsync()
        => Task.FromResult<ICacheAdapter>(new MemoryCache(100_000, 1 << 29, TimeSpan.FromHours(1)));
}

public sealed class MemoryCacheTests
{
    private static async Task<(int Count, long Bytes)> MeasureAsync(MemoryCache cache, int keys)
    {
        var count = 0;
        long bytes = 0;
        for (var i = 0; i < keys; i++)
        {
            var key = "key-" + i;
            if (await cache.GetAsync(key) is { } value)
            {
                count++;
                bytes += value.Length + (2 * key.Length);
            }
        }

        return (count, bytes);
    }

    [Fact]
    public async Task SetAsync_OverfilledTenTimesWithSmallValues_StaysWithinItemBound()
    {
        await using var cache = new MemoryCache(maxItems: 100, maxBytes: 1_000_000, maxTtl: TimeSpan.Zero);
        for (var i = 0; i < 1_000; i++)
        {
            await cache.SetAsync("key-" + i, new byte[10], TimeSpan.FromMinutes(5));
            Assert.InRange(cache.Count, 0, 100);
        }

        var (count, bytes) = await MeasureAsync(cache, 1_000);
        Assert.InRange(count, 1, 100);
        Assert.InRange(bytes, 1, 1_000_000);
    }

    [Fact]
    public async Task SetAsync_OverfilledTenTimesWithLargeValues_StaysWithinByteBound()
    {
        await using var cache = new MemoryCache(maxItems: 10_000, maxBytes: 100_000, maxTtl: TimeSpan.Zero);
        for (var i = 0; i < 1_000; i++)
        {
            await cache.SetAsync("key-" + i, new byte[1_000], TimeSpan.FromMinutes(5));
        }

        var (count, bytes) = await MeasureAsync(cache, 1_000);
        Assert.InRange(count, 1, 100);
        Assert.InRange(bytes, 1, 100_000);
    }

    [Fact]
    public async Task SetAsync_TtlAboveMaxTtl_IsCappedAtMaxTtl()
    {
        var time = new FakeTimeProvider();
        await using var cache = new MemoryCache(100, 1 << 20, TimeSpan.FromMinutes(1), time);
        await cache.SetAsync("a", [1], TimeSpan.FromHours(1));

        var fetched = await cache.FetchAsync("a");
        Assert.Equal(TimeSpan.FromMinutes(1), fetched.TimeToLive);

        time.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal(TimeSpan.FromSeconds(1), (await cache.FetchAsync("a")).TimeToLive);
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.Null(await cache.GetAsync("a"));
        Assert.False((await cache.FetchAsync("a")).Found);
    }

    [Fact]
    public async Task SetAsync_MaximumTtlWithoutCap_IsStoredWithoutOverflow()
    {
        await using var cache = new MemoryCache(100, 1 << 20, TimeSpan.Zero);
        await cache.SetAsync("forever", [1], TimeSpan.MaxValue);
        Assert.Equal([1], await cache.GetAsync("forever"));
        Assert.True((await cache.FetchAsync("forever")).TimeToLive > TimeSpan.FromDays(365 * 1000));
    }

    [Fact]
    public async Task SetAsync_ValueLargerThanMaxBytes_IsNotStoredAndReplacesNothing()
    {
        await using var cache = new MemoryCache(100, 1_000, TimeSpan.Zero);
        await cache.SetAsync("big", [1, 2, 3], TimeSpan.FromMinutes(1));
        await cache.SetAsync("big", new byte[2_000], TimeSpan.FromMinutes(1));
        Assert.Null(await cache.GetAsync("big"));
    }

    // A clock whose GetUtcNow carries an offset (+14 h): an entry living until just before DateTimeOffset.MaxValue is
    // stored (adding its TTL in local time would pass DateTime.MaxValue and throw).
    [Fact]
    public async Task SetAsync_ClockWithOffsetAndNearlyUnboundedTtl_IsStored()
    {
        var clock = new OffsetClock(TimeSpan.FromHours(14));
        await using var cache = new MemoryCache(100, 1_000, TimeSpan.Zero, clock);
        var ttl = DateTimeOffset.MaxValue - clock.GetUtcNow() - TimeSpan.FromHours(1);

        await cache.SetAsync("late", [7], ttl);

        Assert.Equal([7], await cache.GetAsync("late"));
        Assert.InRange((await cache.FetchAsync("late")).TimeToLive, ttl - TimeSpan.FromMinutes(1), ttl);
    }

    private sealed class OffsetClock(TimeSpan offset) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => base.GetUtcNow().ToOffset(offset);
    }

    [Fact]
    public void Constructor_NonPositiveBounds_ThrowArgumentOutOfRange()
    {
        Assert.Equal("maxItems", Assert.Throws<ArgumentOutOfRangeException>(() => new MemoryCache(0, 1, TimeSpan.Zero)).ParamName);
        Assert.Equal("maxBytes", Assert.Throws<ArgumentOutOfRangeException>(() => new MemoryCache(1, -1, TimeSpan.Zero)).ParamName);
    }
}
