using HybridCaching.Testing.Conformance;
using HybridCaching.Testing.Redis;

namespace HybridCaching.Redis.Tests;

// The Go suite's Redis and HybridRedis cases (SPEC §9): Redis uses 5 × 5 races and 300 ms work, as the original.

[Collection(RedisCollection.Name)]
[Trait("Category", "Redis")]
public sealed class RedisCacheConformanceTests(RedisServerFixture server) : CacheAdapterConformanceTests
{
    protected override async Task<ICacheAdapter> CreateAdapterAsync() => await RedisTestCache.CreateAsync(server);
}

[Collection(RedisCollection.Name)]
[Trait("Category", "Redis")]
public sealed class RedisCacheRaceConformanceTests(RedisServerFixture server) : CacheRaceConformanceTests
{
    protected override int RaceRounds => 5;

    protected override int RaceKeys => 5;

    protected override TimeSpan RaceWork => TimeSpan.FromMilliseconds(300);

    protected override async Task<ICacheAdapter> CreateAdapterAsync() => await RedisTestCache.CreateAsync(server);
}

[Collection(RedisCollection.Name)]
[Trait("Category", "Redis")]
public sealed class HybridRedisConformanceTests(RedisServerFixture server) : CacheAdapterConformanceTests
{
    protected override async Task<ICacheAdapter> CreateAdapterAsync()
        => new HybridCache(await RedisTestCache.CreateAsync(server), new MemoryCache(10_000, 64 << 20, TimeSpan.Zero));
}

[Collection(RedisCollection.Name)]
[Trait("Category", "Redis")]
public sealed class HybridRedisRaceConformanceTests(RedisServerFixture server) : CacheRaceConformanceTests
{
    protected override int RaceRounds => 5;

    protected override int RaceKeys => 5;

    protected override TimeSpan RaceWork => TimeSpan.FromMilliseconds(300);

    protected override async Task<ICacheAdapter> CreateAdapterAsync()
        => new HybridCache(await RedisTestCache.CreateAsync(server), new MemoryCache(10_000, 64 << 20, TimeSpan.Zero));
}

[Collection(RedisCollection.Name)]
[Trait("Category", "Redis")]
public sealed class RedisCacheFuncConformanceTests(RedisServerFixture server) : CacheFuncConformanceTests
{
    protected override int ConcurrentSize => 5;

    protected override TimeSpan ConcurrentWork => TimeSpan.FromMilliseconds(300);

    protected override async Task<ICacheAdapter> CreateAdapterAsync() => await RedisTestCache.CreateAsync(server);
}

[Collection(RedisCollection.Name)]
[Trait("Category", "Redis")]
public sealed class HybridRedisCacheFuncConformanceTests(RedisServerFixture server) : CacheFuncConformanceTests
{
    protected override int ConcurrentSize => 5;

    protected override TimeSpan ConcurrentWork => TimeSpan.FromMilliseconds(300);

    protected override async Task<ICacheAdapter> CreateAdapterAsync()
        => new HybridCache(await RedisTestCache.CreateAsync(server), new MemoryCache(10_000, 64 << 20, TimeSpan.Zero));
}
