namespace HybridCaching;

/// <summary>
/// Tells the other instances sharing an upstream that keys were written or removed, so they drop their local copies.
/// <see cref="HybridCache"/> publishes through it after every write or removal and drops what it is told about.
/// </summary>
public interface ICacheBackplane : IDisposable, IAsyncDisposable
{
    /// <summary>Announces (asynchronously, possibly batched with other keys) that <paramref name="key"/> changed.</summary>
    /// <param name="key">The key written or removed.</param>
    void KeyChanged(string key);

    /// <summary>Announces that every key was removed.</summary>
    void Cleared();
}

/// <summary>An upstream adapter that can keep other instances' downstream levels coherent (e.g. <c>RedisCache</c>).</summary>
public interface ICacheBackplaneSource
{
    /// <summary>Starts a backplane that delivers the other instances' announcements to <paramref name="listener"/>.</summary>
    /// <param name="listener">What to call when another instance changed keys, or when announcements may have been missed.</param>
    /// <returns>The backplane, or <see langword="null"/> when the adapter is configured without one.</returns>
    ICacheBackplane? CreateBackplane(ICacheBackplaneListener listener);
}

/// <summary>Receives what other instances announce through an <see cref="ICacheBackplane"/>.</summary>
public interface ICacheBackplaneListener
{
    /// <summary>Other instances wrote or removed <paramref name="keys"/>: local copies must go.</summary>
    /// <param name="keys">The keys (without any upstream prefix).</param>
    void OnKeysChanged(IReadOnlyList<string> keys);

    /// <summary>Another instance cleared the cache, or announcements may have been missed (a subscription gap): every
    /// local copy must go.</summary>
    void OnCleared();
}
