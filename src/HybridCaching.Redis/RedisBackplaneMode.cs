namespace HybridCaching.Redis;

/// <summary>How a <see cref="RedisCache"/> keeps the memory levels of other <see cref="HybridCache"/> instances coherent.</summary>
public enum RedisBackplaneMode
{
    /// <summary>Every write and removal made through a <see cref="HybridCache"/> is announced on a pub/sub channel of the
    /// prefix (keys only, coalesced); other instances drop their copies. Writers that do not announce (Go services) are not heard.</summary>
    PubSub,

    /// <summary>Redis keyspace notifications for the prefix drive the evictions, so writes by anyone (Go services included)
    /// evict copies. Needs <c>notify-keyspace-events</c> with at least <c>K$g</c> on the server; standalone or Sentinel only.</summary>
    KeyspaceNotifications,

    /// <summary>No backplane: memory copies live until freshFor/TTL.</summary>
    Off,
}
