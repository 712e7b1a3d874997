using HybridCaching.Testing.Redis;

namespace HybridCaching.Redis.Tests.Fixtures;

/// <summary>Tests that share one local Redis Cluster (3 primaries + 3 replicas). Tests that kill or reshard leave it healthy.</summary>
[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<RedisClusterFixture>
{
    public const string Name = "redis-cluster";
}

/// <summary>Tests that share one primary + replica + 3 sentinels.</summary>
[CollectionDefinition(Name)]
public sealed class SentinelCollection : ICollectionFixture<RedisSentinelFixture>
{
    public const string Name = "redis-sentinel";
}
