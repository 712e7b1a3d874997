using StackExchange.Redis;

namespace HybridCaching.Redis;

/// <content>Conditional renewal (<see cref="ICacheRenewal"/>), for sliding expiration.</content>
public sealed partial class RedisCache : ICacheRenewal
{
    // Renews a key's TTL (ARGV[2] ms) only while it holds the bytes read (ARGV[1]): one key, so cluster-safe.
    private const string RenewScript = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0";

    /// <inheritdoc/>
    /// <remarks>One round trip: a script that compares the stored value with <paramref name="expected"/> and runs
    /// <c>PEXPIRE</c> on a match, so a key removed or rewritten since the read is left as it is.</remarks>
    public async ValueTask<bool> RenewIfUnchangedAsync(string key, byte[] expected, TimeSpan ttl, CancellationToken cancellationToken = default)
    {
        CacheArgument.ThrowIfInvalidKey(key);
        ArgumentNullException.ThrowIfNull(expected);
        CacheArgument.ThrowIfNotPositive(ttl);
        ThrowIfDisposed();
        var db = await DatabaseAsync(_writeConnectWait, cancellationToken).ConfigureAwait(false);
        var renewed = await _guard.WaitAsync(db.ScriptEvaluateAsync(RenewScript, [(RedisKey)(_prefix + key)], [expected, Milliseconds(ttl)]), cancellationToken).ConfigureAwait(false);
        return (long)renewed == 1;
    }
}
