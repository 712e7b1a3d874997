using System.Diagnostics;
using StackExchange.Redis;

namespace HybridCaching.Redis;

/// <content>The synchronous path (<see cref="ICacheSyncStorage"/>): StackExchange.Redis's own synchronous commands, which
/// wait for the reply on the calling thread without any async work underneath (not sync-over-async).</content>
/// <remarks>Each command is what its async twin sends, behind the same gate: nothing is sent while Redis is known to be
/// down or hung (a call fails at once), a key held as another type is a miss on a read, and the durations of get,
/// fetch and set are recorded (<c>hybridcaching.redis.duration</c>). Two differences, both of a synchronous call: it
/// never waits for an owned multiplexer's first connection attempt (it fails at once, not connected), and it is
/// bounded by the multiplexer's <see cref="ConfigurationOptions.SyncTimeout"/> (StackExchange.Redis's; 5 s unless
/// configured) rather than by <see cref="RedisCacheOptions.OperationTimeout"/>; a synchronous call that times out
/// does not mark Redis unresponsive (an async one does, and synchronous calls then fail at once too).</remarks>
public sealed partial class RedisCache : ICacheSyncStorage
{
    /// <inheritdoc/>
    /// <remarks>Always <see langword="true"/>.</remarks>
    public bool CanRunSynchronously => true;

    /// <inheritdoc/>
    public byte[]? Get(string key)
    {
        CacheArgument.ThrowIfInvalidKey(key);
        ThrowIfDisposed();
        return Synchronously("get", _prefix + key, static (db, key) => (byte[]?)db.StringGet(key), foreignIsMiss: true);
    }

    /// <inheritdoc/>
    /// <remarks>A key stored without expiry reports <see cref="Timeout.InfiniteTimeSpan"/> as its time to live.</remarks>
    public CacheFetchResult Fetch(string key)
    {
        CacheArgument.ThrowIfInvalidKey(key);
        ThrowIfDisposed();
        return Synchronously("fetch", _prefix + key, static (db, key) => ToFetchResult(db.StringGetWithExpiry(key)), foreignIsMiss: true, CacheFetchResult.NotFound);
    }

    /// <inheritdoc/>
    public void Set(string key, byte[] value, TimeSpan ttl)
    {
        CacheArgument.ThrowIfInvalidWrite(key, value, ttl);
        ThrowIfDisposed();
        Synchronously("set", (Key: (RedisKey)(_prefix + key), Value: value, Ttl: ttl), static (db, set) => db.Execute("SET", set.Key, set.Value, "PX", Milliseconds(set.Ttl)));
    }

    /// <inheritdoc/>
    /// <remarks>As <see cref="DeleteAsync"/>: the keys (one hash slot at a time on a cluster), then the race results left
    /// under their lock keys.</remarks>
    public void Delete(IEnumerable<string> keys)
    {
        var list = CacheArgument.ThrowIfInvalidKeys(keys);
        ThrowIfDisposed();
        if (list.Count == 0)
        {
            return;
        }

        Synchronously(operation: null, list, (db, list) =>
        {
            var valueKeys = list.Select(key => (RedisKey)(_prefix + key)).ToArray();
            foreach (var slot in IsCluster(db.Multiplexer) ? valueKeys.GroupBy(db.Multiplexer.HashSlot).Select(g => g.ToArray()) : [valueKeys])
            {
                db.KeyDelete(slot);
            }

            foreach (var key in list)
            {
                db.ScriptEvaluate(DeleteResultScript, [(RedisKey)(_lockKeyPrefix + key)], PlaceholderArgument);
            }

            return 0;
        });
    }

    /// <inheritdoc/>
    /// <remarks>As <see cref="RenewIfUnchangedAsync"/>: one script, <c>GET</c>, compare, <c>PEXPIRE</c>.</remarks>
    public bool RenewIfUnchanged(string key, byte[] expected, TimeSpan ttl)
    {
        CacheArgument.ThrowIfInvalidWrite(key, expected, ttl);
        ThrowIfDisposed();
        return Synchronously(
            operation: null,
            (Key: (RedisKey)(_prefix + key), Expected: expected, Ttl: ttl),
            static (db, renew) => (long)db.ScriptEvaluate(RenewScript, [renew.Key], [renew.Expected, Milliseconds(renew.Ttl)]) == 1);
    }

    // One synchronous command (or a few), behind the async path's gate, its duration recorded under operation (none for
    // delete and renew, as for their async twins). A read (foreignIsMiss) of a key held as another type answers miss.
    private TResult Synchronously<TState, TResult>(string? operation, TState state, Func<IDatabase, TState, TResult> command, bool foreignIsMiss = false, TResult miss = default!)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            var result = command(Database(), state);
            Record(operation, started, null);
            return result;
        }
        catch (RedisServerException ex) when (foreignIsMiss && ex.Message.StartsWith("WRONGTYPE", StringComparison.Ordinal))
        {
            Record(operation, started, null);
            return miss;
        }
        catch (Exception ex)
        {
            Record(operation, started, ex);
            throw;
        }
    }

    private static void Record(string? operation, long started, Exception? failure)
    {
        if (operation is not null)
        {
            RedisTelemetry.Record(operation, started, failure);
        }
    }

    // The async path's checks, none of which waits once the first connection attempt has ended: fails at once while
    // Redis is known to be down or hung, still connecting, or disconnected.
    private IDatabase Database()
    {
        if (!_connecting.IsCompleted)
        {
            _guard.ThrowIfUnresponsive();
            throw NotConnected("Still connecting to Redis; a synchronous command does not wait for the connection and was not sent.");
        }

        var database = DatabaseAsync(TimeSpan.Zero, CancellationToken.None);
        Debug.Assert(database.IsCompletedSuccessfully, "Answered at once once the first connection attempt has ended.");
        return database.Result;
    }
}
