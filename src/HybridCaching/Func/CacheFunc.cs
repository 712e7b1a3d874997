namespace HybridCaching;

/// <summary>Wraps async calls with a cache (work in progress).</summary>
public sealed class CacheFunc
{
}
