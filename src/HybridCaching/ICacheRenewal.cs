namespace HybridCaching;

/// <summary>
/// An adapter that can renew an entry's time to live only while the entry still holds the bytes a caller read: a
/// compare-and-set on the TTL. <see cref="Distributed.CacheAdapterDistributedCache"/> slides expirations with it, so
/// a read that slides an entry never brings back one removed (or replaced) after the read.
/// </summary>
/// <remarks>Implemented by <see cref="MemoryCache"/>, <see cref="HybridCache"/> and <c>RedisCache</c> (one script:
/// <c>GET</c>, compare, <c>PEXPIRE</c>). An adapter that wraps another forwards the call, or answers
/// <see langword="false"/> when what it wraps cannot renew conditionally; it never rewrites the value.</remarks>
public interface ICacheRenewal
{
    /// <summary>Sets the time to live of the entry under <paramref name="key"/> to <paramref name="ttl"/> if it holds
    /// exactly <paramref name="expected"/>; otherwise changes nothing (a missing key stays missing).</summary>
    /// <param name="key">The key; not null or empty.</param>
    /// <param name="expected">The bytes the caller read; the entry is renewed only while it holds the same bytes.</param>
    /// <param name="ttl">The new time to live, from now; must be positive (an adapter may cap it, as on a write).</param>
    /// <param name="cancellationToken">Cancels the renewal.</param>
    /// <returns><see langword="true"/> when renewed; <see langword="false"/> when the key is missing, holds other
    /// bytes, or cannot be renewed conditionally.</returns>
    ValueTask<bool> RenewIfUnchangedAsync(string key, byte[] expected, TimeSpan ttl, CancellationToken cancellationToken = default);
}
