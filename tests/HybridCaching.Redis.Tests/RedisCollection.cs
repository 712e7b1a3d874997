using HybridCaching.Testing.Redis;

namespace HybridCaching.Redis.Tests;

/// <summary>Tests that share one plain redis-server (keys are made unique per test so they never collide).</summary>
[CollectionDefinition(Name)]
public sealed class RedisCollection : ICollectionFixture<RedisServerFixture>
{
    public const string Name = "redis";
}

/// <summary>Fault tests that give a call a tight budget (waitFor 1 s against a hung server): they run alone, after the
/// parallel collections, so CPU-bound tests in this process do not starve their timers.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RedisFaultCollection
{
    public const string Name = "redis-faults";
}
