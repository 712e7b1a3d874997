using System.Diagnostics;
using System.Runtime.ExceptionServices;
using StackExchange.Redis;

namespace HybridCaching.Redis;

/// <content>The synchronous path (<see cref="ICacheSyncStorage"/>): StackExchange.Redis's own synchronous commands, which
/// wait for the reply on the calling thread without any async work underneath (not sync-over-async).</content>
/// <remarks>Each command is what its async twin sends, behind the same gate (nothing is sent while Redis is known to be
/// down or hung; a key held as another type is a miss on a read; durations are recorded). Two differences: a synchronous
/// call never waits for an owned multiplexer's first connection attempt (it fails at once), and it is bounded by the
/// multiplexer's <see cref="ConfigurationOptions.SyncTimeout"/> rather than <see cref="RedisCacheOptions.OperationTimeout"/>;
/// one that times out after at least OperationTimeout marks its key's server unresponsive, as an async call does.</remarks>
public sealed partial class RedisCache : ICacheSyncStorage
{
    /// <inheritdoc/>
    /// <remarks>Always <see langword="true"/>.</remarks>
    public bool CanRunSynchronously => true;

    /// <inheritdoc/>
    public byte[]? Get(string key)
    {
        var redisKey = ValueKey(key);
        return Synchronously("get", redisKey, redisKey, static (db, key) => (byte[]?)db.StringGet(key), foreignIsMiss: true);
    }

    /// <inheritdoc/>
    /// <remarks>A key stored without expiry reports <see cref="Timeout.InfiniteTimeSpan"/> as its time to live.</remarks>
    public CacheFetchResult Fetch(string key)
    {
        var redisKey = ValueKey(key);
        return Synchronously("fetch", redisKey, redisKey, static (db, key) => ToFetchResult(db.StringGetWithExpiry(key)), foreignIsMiss: true, CacheFetchResult.NotFound);
    }

    /// <inheritdoc/>
    public void Set(string key, byte[] value, TimeSpan ttl)
    {
        CacheArgument.ThrowIfInvalidWrite(key, value, ttl);
        var redisKey = ValueKey(key);
        Synchronously("set", redisKey, (Key: redisKey, Value: value, Ttl: ttl), static (db, set) => db.Execute("SET", set.Key, set.Value, "PX", Milliseconds(set.Ttl)));
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

        // As the async path: each command is checked against its own server's mark, every one is tried, the keys of
        // servers that answer are deleted, and the first failure is thrown.
        Synchronously(operation: null, default, list, (db, list) =>
        {
            Exception? failure = null;
            void Try(RedisKey key, Action<IDatabase> command)
            {
                try
                {
                    _guard.ThrowIfUnresponsive(new GuardTarget(db.Multiplexer, key));
                    command(db);
                }
                catch (Exception ex) when (ex is RedisException or TimeoutException)
                {
                    failure ??= ex;
                }
            }

            foreach (var slot in BySlot(db.Multiplexer, list.Select(key => (RedisKey)(_prefix + key)).ToArray()))
            {
                Try(slot[0], db => db.KeyDelete(slot));
            }

            foreach (var key in list)
            {
                var lockKey = (RedisKey)(_lockKeyPrefix + key);
                Try(lockKey, db => db.ScriptEvaluate(DeleteResultScript, [lockKey], PlaceholderArgument));
            }

            if (failure is not null)
            {
                ExceptionDispatchInfo.Throw(failure);
            }

            return 0;
        });
    }

    /// <inheritdoc/>
    /// <remarks>As <see cref="RenewIfUnchangedAsync"/>: one script, <c>GET</c>, compare, <c>PEXPIRE</c>.</remarks>
    public bool RenewIfUnchanged(string key, byte[] expected, TimeSpan ttl)
    {
        CacheArgument.ThrowIfInvalidWrite(key, expected, ttl);
        var redisKey = ValueKey(key);
        return Synchronously(
            operation: null,
            redisKey,
            (Key: redisKey, Expected: expected, Ttl: ttl),
            static (db, renew) => (long)db.ScriptEvaluate(RenewScript, [renew.Key], [renew.Expected, Milliseconds(renew.Ttl)]) == 1);
    }

    // Timed's synchronous twin: one command (or a few) behind the async path's gate for the server that serves key.
    private TResult Synchronously<TState, TResult>(string? operation, RedisKey key, TState state, Func<IDatabase, TState, TResult> command, bool foreignIsMiss = false, TResult miss = default!)
    {
        var started = Stopwatch.GetTimestamp();
        IDatabase? db = null;
        try
        {
            db = Database(key);
            var result = command(db, state);
            RedisTelemetry.Record(operation, started, null);
            return result;
        }
        catch (RedisServerException ex) when (foreignIsMiss && ex.Message.StartsWith("WRONGTYPE", StringComparison.Ordinal))
        {
            RedisTelemetry.Record(operation, started, null);
            return miss;
        }
        catch (Exception ex)
        {
            // Marked on the async path's grounds: no answer within OperationTimeout (a shorter SyncTimeout fails the call only).
            if (ex is TimeoutException && db is not null && Stopwatch.GetElapsedTime(started) >= _operationTimeout)
            {
                _guard.MarkUnresponsive(new GuardTarget(db.Multiplexer, key));
            }

            RedisTelemetry.Record(operation, started, ex);
            throw;
        }
    }

    // The async path's checks, which do not wait once the first connection attempt has ended.
    private IDatabase Database(RedisKey key)
    {
        if (!_connecting.IsCompleted)
        {
            throw NotConnected("Still connecting to Redis; a synchronous command does not wait for the connection and was not sent.");
        }

        var database = DatabaseAsync(TimeSpan.Zero, key, CancellationToken.None);
        Debug.Assert(database.IsCompletedSuccessfully, "Answered at once once the first connection attempt has ended.");
        return database.Result;
    }
}
