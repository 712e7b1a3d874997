using HybridCaching.Testing.Redis;

namespace HybridCaching.Redis.Tests;

/// <summary>Tests that share one plain redis-server (keys are made unique per test so they never collide).</summary>
[CollectionDefinition(Name)]
public sealed class RedisCollection : ICollectionFixture<RedisServerFixture>
{
    public const string Name = "redis";
}
