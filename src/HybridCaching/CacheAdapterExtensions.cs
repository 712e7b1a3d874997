namespace HybridCaching;

/// <summary>Convenience overloads for <see cref="ICacheAdapter"/>.</summary>
public static class CacheAdapterExtensions
{
    /// <summary>Removes one key.</summary>
    /// <param name="cache">The cache.</param>
    /// <param name="key">The key; not null or empty.</param>
    /// <param name="cancellationToken">Cancels the removal.</param>
    public static ValueTask DeleteAsync(this ICacheAdapter cache, string key, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(cache);
        CacheArgument.ThrowIfInvalidKey(key);
        return cache.DeleteAsync([key], cancellationToken);
    }
}
