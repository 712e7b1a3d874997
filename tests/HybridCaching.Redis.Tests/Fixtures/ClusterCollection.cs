using HybridCaching.Testing.Redis;

namespace HybridCaching.Redis.Tests.Fixtures;

/// <summary>Tests that share one local Redis Cluster (3 primaries + 3 replicas). Tests that kill or reshard leave it healthy.
/// Not run beside other collections: kills, failovers and chaos traffic would take the 2 cores from timing-sensitive tests.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ClusterCollection : ICollectionFixture<RedisClusterFixture>
{
    public const string Name = "redis-cluster";
}

/// <summary>Tests that share one primary + replica + 3 sentinels. Not run beside other collections (see <see cref="ClusterCollection"/>).</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SentinelCollection : ICollectionFixture<RedisSentinelFixture>
{
    public const string Name = "redis-sentinel";
}
