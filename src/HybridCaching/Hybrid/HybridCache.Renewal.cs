namespace HybridCaching;

/// <content>Conditional renewal (<see cref="ICacheRenewal"/>), for sliding expiration.</content>
public sealed partial class HybridCache : ICacheRenewal
{
    /// <inheritdoc/>
    /// <remarks>The upstream copy decides. Renewed there, the downstream copy is renewed too if it holds the same bytes
    /// (a downstream that cannot renew conditionally drops its copy instead); not renewed there (removed or replaced
    /// since the read), the downstream copy is dropped, as it is outdated. An upstream that is not an
    /// <see cref="ICacheRenewal"/> renews nothing: <see langword="false"/>. When the upstream fails, the failure is
    /// logged and counted (a write error of the upstream's level), and only the downstream copy is renewed: the entry
    /// keeps sliding on this server while Redis is away, as reads keep being served from memory.</remarks>
    public async ValueTask<bool> RenewIfUnchangedAsync(string key, byte[] expected, TimeSpan ttl, CancellationToken cancellationToken = default)
    {
        CacheArgument.ThrowIfInvalidWrite(key, expected, ttl);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_upstream is not ICacheRenewal upstream)
        {
            return false;
        }

        bool? renewed; // null: the upstream failed
        try
        {
            renewed = await upstream.RenewIfUnchangedAsync(key, expected, ttl, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (CacheFunc.IsCacheFailure(ex, cancellationToken))
        {
            UpstreamFailed("Renew", key, ex);
            renewed = null;
        }

        // Renewed upstream, or upstream away: the downstream copy follows (or goes, when it cannot renew conditionally).
        if (renewed != false && _downstream is ICacheRenewal downstream)
        {
            var renewedHere = await downstream.RenewIfUnchangedAsync(key, expected, ttl, cancellationToken).ConfigureAwait(false);
            return renewed ?? renewedHere;
        }

        await _downstream.DeleteAsync([key], cancellationToken).ConfigureAwait(false);
        return renewed == true;
    }
}
