using System.Diagnostics;
using System.Runtime.ExceptionServices;
using System.Text;
using HybridCaching.Redis.Client;
using HybridCaching.Serialization.MessagePack;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace HybridCaching.Redis;

/// <summary>
/// A cache adapter over Redis, shared by many servers: entries and stampede locks are compatible with Go's
/// <c>cshum/hybridcache</c> on the same Redis and prefix.
/// </summary>
/// <remarks>
/// <para>Get is <c>GET</c>; Fetch is <c>GET</c> and <c>PTTL</c> pipelined; Set is <c>SET … PX</c>; Delete is
/// <c>UNLINK</c> (<c>DEL</c> on servers without it); Clear scans <c>prefix*</c> and unlinks in batches, skipping lock keys,
/// and runs once across servers at a time.</para>
/// <para>Race follows the Go lock protocol: <c>SET lockKey "1" PX waitFor NX</c> pipelined with <c>GET lockKey</c>; the winner
/// runs the work and leaves <c>{Res, Err}</c> under the lock key for the suppression TTL; the others read it. On top of
/// that, the winner publishes on the lock key's channel and waiters subscribed to it look again at once; polling (every
/// <see cref="RedisCacheOptions.RetryDelay"/>) remains for leaders that do not publish.</para>
/// <para>When Redis is unreachable, Get/Fetch/Set/Delete fail fast with <see cref="RedisConnectionException"/> (CacheFunc and
/// HybridCache treat that as a miss) and Race runs the work directly; the connection recovers by itself.</para>
/// </remarks>
[DebuggerDisplay("RedisCache {_connection.EndPoint,nq} (prefix '{_prefix,nq}')")]
public sealed partial class RedisCache : ICacheAdapter, IDisposable
{
    private const string ClearKey = "!clear!";

    // Go's values (SPEC §6): a Go Clear() reads what a .NET Clear leaves, and the other way round.
    private static readonly TimeSpan ClearWaitFor = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan ClearSuppression = TimeSpan.FromMilliseconds(300);

    // Removes a lock key unless it holds the placeholder of a live leader (ARGV[1] = "1"): one key, so cluster-safe.
    private const string DeleteResultScript = "if redis.call('GET', KEYS[1]) ~= ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";

    // Releases a lock still held by its leader's placeholder.
    private const string ReleaseScript = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";

    private readonly RedisConnection _connection;
    private readonly bool _ownsConnection;
    private readonly string _prefix;
    private readonly string _lockPrefix;
    private readonly byte[] _lockPrefixBytes;
    private readonly bool _skipLock;
    private readonly bool _allowClearingWholeDatabase;
    private readonly ResponseGuard _guard;
    private readonly bool _notifyWaiters;
    private readonly Func<int, TimeSpan> _retryDelay;
    private readonly TimeProvider _time;
    private readonly SingleFlight<RaceResult> _flights;
    private readonly ILogger _logger;
    private volatile bool _useDel;
    private int _disposed;

    /// <summary>Creates a cache over its own connection (see <see cref="RedisConnectionOptions.Parse"/> for the format),
    /// with the default options. Does not throw when the server is down: it connects in the background.</summary>
    /// <param name="connectionString">The connection string, e.g. <c>localhost:6379,password=…</c>.</param>
    public RedisCache(string connectionString)
        : this(RedisConnection.Create(connectionString), null, ownsConnection: true)
    {
    }

    /// <summary>Creates a cache over a shared connection (not disposed with the cache).</summary>
    /// <param name="connection">The connection.</param>
    /// <param name="options">The options; <see langword="null"/> for the defaults.</param>
    public RedisCache(RedisConnection connection, RedisCacheOptions? options = null)
        : this(connection, options, ownsConnection: false)
    {
    }

    internal RedisCache(RedisConnection connection, RedisCacheOptions? options, bool ownsConnection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        options ??= new RedisCacheOptions();
        options.Validate();
        _connection = connection;
        _ownsConnection = ownsConnection;
        _prefix = options.Prefix;
        _lockPrefix = options.LockPrefix;
        _lockPrefixBytes = Encoding.UTF8.GetBytes(options.LockPrefix);
        _skipLock = options.SkipLock;
        _allowClearingWholeDatabase = options.AllowClearingWholeDatabase;
        _notifyWaiters = options.NotifyWaiters;
        _retryDelay = options.RetryDelay;
        _time = options.TimeProvider;
        _flights = new SingleFlight<RaceResult>(_time);
        _logger = connection.Options.LoggerFactory?.CreateLogger<RedisCache>() ?? NullLogger<RedisCache>.Instance;
        _guard = new ResponseGuard(options.OperationTimeout, _time, () => connection.ExecuteAsync("PING"), _logger);
        if (_notifyWaiters && !_skipLock)
        {
            // Open the subscriber connection now, so it is ready when the first race has to wait.
            _ = connection.Subscriber;
        }
    }

    /// <summary>The connection this cache runs on.</summary>
    public RedisConnection Connection => _connection;

    /// <inheritdoc/>
    public async ValueTask<byte[]?> GetAsync(string key, CancellationToken cancellationToken = default)
    {
        CacheArgument.ThrowIfInvalidKey(key);
        ThrowIfDisposed();
        var reply = await CallAsync("GET", [_prefix + key], cancellationToken).ConfigureAwait(false);
        return reply.AsBytes();
    }

    /// <inheritdoc/>
    /// <remarks>A key stored without expiry reports <see cref="Timeout.InfiniteTimeSpan"/> as its time to live.</remarks>
    public async ValueTask<CacheFetchResult> FetchAsync(string key, CancellationToken cancellationToken = default)
    {
        CacheArgument.ThrowIfInvalidKey(key);
        ThrowIfDisposed();
        RedisArgument[] arguments = [_prefix + key];
        _guard.ThrowIfUnresponsive();
        var get = _connection.ExecuteAsync("GET", arguments, cancellationToken);
        var ttl = _connection.ExecuteAsync("PTTL", arguments, cancellationToken);
        await _guard.WaitAsync(WhenBoth(get, ttl), cancellationToken).ConfigureAwait(false);
        var value = get.Result.AsBytes();
        var milliseconds = ttl.Result.AsInt64();
        if (value is null || milliseconds == -2)
        {
            return CacheFetchResult.NotFound;
        }

        return new CacheFetchResult(value, milliseconds < 0 ? Timeout.InfiniteTimeSpan : TimeSpan.FromMilliseconds(milliseconds));
    }

    /// <inheritdoc/>
    public async ValueTask SetAsync(string key, byte[] value, TimeSpan ttl, CancellationToken cancellationToken = default)
    {
        CacheArgument.ThrowIfInvalidKey(key);
        ArgumentNullException.ThrowIfNull(value);
        CacheArgument.ThrowIfNotPositive(ttl);
        ThrowIfDisposed();
        await CallAsync("SET", [_prefix + key, value, "PX", Milliseconds(ttl)], cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask DeleteAsync(IEnumerable<string> keys, CancellationToken cancellationToken = default)
    {
        var list = CacheArgument.ThrowIfInvalidKeys(keys);
        ThrowIfDisposed();
        if (list.Count == 0)
        {
            return;
        }

        var arguments = new RedisArgument[list.Count];
        var lockKeys = new RedisArgument[list.Count];
        for (var i = 0; i < list.Count; i++)
        {
            arguments[i] = _prefix + list[i];
            lockKeys[i] = _lockPrefix + list[i];
        }

        // The race result a recent run left under the lock key would answer the next miss with the deleted value.
        await Task.WhenAll(UnlinkAsync(arguments, cancellationToken), DeleteRaceResultsAsync(lockKeys, cancellationToken)).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    /// <remarks>Runs once across servers at a time (suppressed under the key <c>!clear!</c>, with the Go original's lock
    /// and result); removes the keys under <see cref="RedisCacheOptions.Prefix"/> and the race results left under
    /// <see cref="RedisCacheOptions.LockPrefix"/>, never a lock held by a running leader.</remarks>
    /// <exception cref="InvalidOperationException">The prefix is empty and <see cref="RedisCacheOptions.AllowClearingWholeDatabase"/> is not set.</exception>
    public async ValueTask ClearAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        if (_prefix.Length == 0 && !_allowClearingWholeDatabase)
        {
            throw new InvalidOperationException(
                "RedisCache.ClearAsync with an empty Prefix would delete every key in the database. Set RedisCacheOptions.Prefix "
                + "(e.g. \"myapp:\"), or set RedisCacheOptions.AllowClearingWholeDatabase to clear the whole database.");
        }

        await RaceAsync(
            ClearKey,
            async token =>
            {
                await ClearCoreAsync(token).ConfigureAwait(false);
                return new RaceResult(null);
            },
            ClearWaitFor,
            ClearSuppression,
            cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public Task<RaceResult> RaceAsync(
        string key,
        Func<CancellationToken, Task<RaceResult>> fn,
        TimeSpan waitFor,
        TimeSpan ttl,
        CancellationToken cancellationToken = default)
    {
        CacheArgument.ThrowIfInvalidKey(key);
        ArgumentNullException.ThrowIfNull(fn);
        CacheArgument.ThrowIfNotPositive(waitFor);
        CacheArgument.ThrowIfNotPositive(ttl);
        ThrowIfDisposed();
        return _flights.RunAsync(
            key,
            new RaceState(this, key, fn, waitFor, ttl),
            static (state, token) => state.Cache.RaceAcrossServersAsync(state, token),
            waitFor,
            cancellationToken);
    }

    /// <summary>Disposes the connection when the cache created it.</summary>
    /// <returns>A task that completes when done.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _guard.Dispose();
        if (_ownsConnection)
        {
            await _connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Disposes the connection when the cache created it (for hosts that dispose synchronously).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _guard.Dispose();
        if (_ownsConnection)
        {
            // The connection closes its sockets in the background; the task is observed.
            var closing = _connection.DisposeAsync().AsTask();
            closing.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    private static long Milliseconds(TimeSpan value) => Math.Max(1, (long)Math.Ceiling(value.TotalMilliseconds));

    private static bool IsPlaceholder(byte[] value) => value.AsSpan().SequenceEqual(LockResultCodec.Placeholder);

    private static async Task<bool> WhenBoth(Task first, Task second)
    {
        await Task.WhenAll(first, second).ConfigureAwait(false);
        return true;
    }

    // One round trip, bounded by OperationTimeout and by the caller's token; fails at once while Redis is unresponsive.
    private Task<RedisReply> CallAsync(string command, RedisArgument[] arguments, CancellationToken cancellationToken)
    {
        _guard.ThrowIfUnresponsive();
        return _guard.WaitAsync(_connection.ExecuteAsync(command, arguments, cancellationToken), cancellationToken);
    }

    private async Task DeleteRaceResultsAsync(RedisArgument[] lockKeys, CancellationToken cancellationToken)
    {
        _guard.ThrowIfUnresponsive();
        var deletes = new Task[lockKeys.Length];
        for (var i = 0; i < lockKeys.Length; i++)
        {
            deletes[i] = _connection.ExecuteAsync("EVAL", [DeleteResultScript, 1, lockKeys[i], "1"], cancellationToken);
        }

        await _guard.WaitAsync(WhenBoth(Task.WhenAll(deletes), Task.CompletedTask), cancellationToken).ConfigureAwait(false);
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

    private async Task<RaceResult> RaceAcrossServersAsync(RaceState state, CancellationToken cancellationToken)
    {
        if (_skipLock)
        {
            return await state.Fn(cancellationToken).ConfigureAwait(false);
        }

        var lockKey = _lockPrefix + state.Key;
        var started = _time.GetTimestamp();
        RaceWaiter? waiter = null;
        var subscribeTried = !_notifyWaiters;
        try
        {
            for (var attempt = 0; ; attempt++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                waiter?.Reset();
                bool acquired;
                byte[]? current;
                long attemptStarted;
                try
                {
                    _guard.ThrowIfUnresponsive();
                    attemptStarted = _time.GetTimestamp();
                    var set = _connection.ExecuteAsync("SET", [lockKey, "1", "PX", Milliseconds(state.WaitFor), "NX"], cancellationToken);
                    var get = _connection.ExecuteAsync("GET", [lockKey], cancellationToken);
                    await _guard.WaitAsync(WhenBoth(set, get), cancellationToken).ConfigureAwait(false);
                    acquired = !set.Result.IsNull;
                    current = get.Result.AsBytes();
                }
                catch (Exception ex) when (ex is RedisException or TimeoutException && !cancellationToken.IsCancellationRequested)
                {
                    // Redis is unreachable: never fail the caller for it, run the work here.
                    LogLockUnavailable(_logger, state.Key, ex.Message);
                    return await state.Fn(cancellationToken).ConfigureAwait(false);
                }

                if (acquired)
                {
                    return await LeadAsync(lockKey, state, attemptStarted, cancellationToken).ConfigureAwait(false);
                }

                if (current is not null && !IsPlaceholder(current))
                {
                    (byte[]? Value, string? Error) decoded;
                    try
                    {
                        decoded = LockResultCodec.Decode(current);
                    }
                    catch (MessagePackFormatException ex)
                    {
                        // Not a result we can read: do the work rather than fail or wait for nothing.
                        LogUnreadableResult(_logger, state.Key, ex.Message);
                        return await state.Fn(cancellationToken).ConfigureAwait(false);
                    }

                    return LockResultCodec.ToRaceResult(decoded.Value, decoded.Error);
                }

                if (!subscribeTried)
                {
                    // Subscribe, then look again at once: a result written before the subscription took effect is seen.
                    subscribeTried = true;
                    waiter = await RaceWaiter.TrySubscribeAsync(_connection.Subscriber, lockKey, _time, cancellationToken).ConfigureAwait(false);
                    if (waiter is not null)
                    {
                        continue;
                    }
                }

                var remaining = state.WaitFor - _time.GetElapsedTime(started);
                if (remaining <= TimeSpan.Zero)
                {
                    throw new TimeoutException($"Waited {(long)state.WaitFor.TotalMilliseconds} ms for another server's result for key '{state.Key}'.");
                }

                var delay = _retryDelay(attempt);
                delay = delay < remaining ? delay : remaining;
                if (waiter is not null)
                {
                    await waiter.WaitAsync(delay, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            if (waiter is not null)
            {
                await waiter.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    // lockedAt: when the lock attempt that won was sent, so the lock is known to be ours until lockedAt + waitFor.
    private async Task<RaceResult> LeadAsync(string lockKey, RaceState state, long lockedAt, CancellationToken cancellationToken)
    {
        RaceResult result = default;
        ExceptionDispatchInfo? failure = null;
        try
        {
            result = await state.Fn(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Abandoned (timeout, or every waiter cancelled): leave no result; the lock expires after waitFor.
            throw;
        }
        catch (Exception ex)
        {
            failure = ExceptionDispatchInfo.Capture(ex);
        }

        var payload = failure is null ? LockResultCodec.Encode(result) : LockResultCodec.Encode(null, failure.SourceException.Message);
        try
        {
            await WriteResultAsync(lockKey, payload, state.Ttl).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // Waiters on other servers would wait on "1" until the lock expires: keep trying to hand them the result, or
            // at least the lock, in the background; this process's callers get their result now.
            LogResultNotWritten(_logger, state.Key, ex.Message);
            _ = RecoverLockAsync(lockKey, payload, state, lockedAt);
        }

        failure?.Throw();
        return result;
    }

    private async Task WriteResultAsync(string lockKey, byte[] payload, TimeSpan ttl)
    {
        _guard.ThrowIfUnresponsive();
        var write = _connection.ExecuteAsync("PSETEX", [lockKey, Milliseconds(ttl), payload], CancellationToken.None);
        var publish = _notifyWaiters
            ? _connection.ExecuteAsync("PUBLISH", [lockKey, RedisArgument.FromBytes(ReadOnlyMemory<byte>.Empty)], CancellationToken.None)
            : Task.FromResult(default(RedisReply));
        await _guard.WaitAsync(WhenBoth(write, publish), CancellationToken.None).ConfigureAwait(false);
    }

    // Never throws. Until the lock would expire anyway: write the result again (a cut connection reconnects), and when the
    // server refuses the write, release the lock so a waiter takes it (at worst it runs the work again).
    private async Task RecoverLockAsync(string lockKey, byte[] payload, RaceState state, long lockedAt)
    {
        var retryDelay = TimeSpan.FromMilliseconds(50);
        while (_time.GetElapsedTime(lockedAt) + retryDelay < state.WaitFor && Volatile.Read(ref _disposed) == 0)
        {
            try
            {
                await Task.Delay(retryDelay, _time).ConfigureAwait(false);
                try
                {
                    await WriteResultAsync(lockKey, payload, state.Ttl).ConfigureAwait(false);
                }
                catch (RedisServerException)
                {
                    _guard.ThrowIfUnresponsive();
                    var release = _connection.ExecuteAsync("EVAL", [ReleaseScript, 1, lockKey, "1"], CancellationToken.None);
                    var publish = _notifyWaiters
                        ? _connection.ExecuteAsync("PUBLISH", [lockKey, RedisArgument.FromBytes(ReadOnlyMemory<byte>.Empty)], CancellationToken.None)
                        : Task.FromResult(default(RedisReply));
                    await _guard.WaitAsync(WhenBoth(release, publish), CancellationToken.None).ConfigureAwait(false);
                    LogLockReleased(_logger, state.Key);
                    return;
                }

                LogResultWrittenLate(_logger, state.Key);
                return;
            }
#pragma warning disable CA1031 // detached: every failure is logged, then retried until the lock expires by itself
            catch (Exception ex)
#pragma warning restore CA1031
            {
                LogResultNotWritten(_logger, state.Key, ex.Message);
                retryDelay = retryDelay * 2 < TimeSpan.FromSeconds(1) ? retryDelay * 2 : TimeSpan.FromSeconds(1);
            }
        }
    }

    private async Task ClearCoreAsync(CancellationToken cancellationToken)
    {
        await ScanAsync(EscapeGlob(_prefix) + "*", keys => UnlinkAsync(keys, cancellationToken), excludeLockKeys: true, cancellationToken).ConfigureAwait(false);

        // Race results left by recent runs would answer the next miss with a cleared value (live locks are kept).
        await ScanAsync(EscapeGlob(_lockPrefix) + "*", keys => DeleteRaceResultsAsync(keys, cancellationToken), excludeLockKeys: false, cancellationToken).ConfigureAwait(false);
    }

    private async Task ScanAsync(string pattern, Func<RedisArgument[], Task> onBatch, bool excludeLockKeys, CancellationToken cancellationToken)
    {
        var cursor = "0";
        do
        {
            var reply = await CallAsync("SCAN", [cursor, "MATCH", pattern, "COUNT", 1000], cancellationToken).ConfigureAwait(false);
            var items = reply.Items;
            if (items.Count != 2)
            {
                throw new RedisProtocolException("Unexpected SCAN reply.");
            }

            cursor = items[0].ToString() ?? "0";
            var batch = new List<RedisArgument>(items[1].Items.Count);
            foreach (var item in items[1].Items)
            {
                var name = item.AsBytes();
                if (name is not null && !(excludeLockKeys && name.AsSpan().StartsWith(_lockPrefixBytes)))
                {
                    batch.Add(name);
                }
            }

            if (batch.Count > 0)
            {
                await onBatch([.. batch]).ConfigureAwait(false);
            }
        }
        while (cursor != "0");
    }

    private async Task UnlinkAsync(RedisArgument[] keys, CancellationToken cancellationToken)
    {
        if (!_useDel)
        {
            try
            {
                await CallAsync("UNLINK", keys, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (RedisServerException ex) when (ex.Message.StartsWith("ERR unknown command", StringComparison.OrdinalIgnoreCase))
            {
                _useDel = true;
            }
        }

        await CallAsync("DEL", keys, cancellationToken).ConfigureAwait(false);
    }

    private static string EscapeGlob(string text)
    {
        if (text.AsSpan().IndexOfAny("*?[]\\") < 0)
        {
            return text;
        }

        var builder = new StringBuilder(text.Length + 8);
        foreach (var c in text)
        {
            if (c is '*' or '?' or '[' or ']' or '\\')
            {
                builder.Append('\\');
            }

            builder.Append(c);
        }

        return builder.ToString();
    }

    [LoggerMessage(EventId = 3001, Level = LogLevel.Warning, Message = "Redis lock for key {Key} unavailable ({Reason}); running the work without it.")]
    private static partial void LogLockUnavailable(ILogger logger, string key, string reason);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Warning, Message = "The race result stored for key {Key} is unreadable ({Reason}); running the work.")]
    private static partial void LogUnreadableResult(ILogger logger, string key, string reason);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Warning, Message = "Could not store the race result for key {Key}: {Reason}")]
    private static partial void LogResultNotWritten(ILogger logger, string key, string reason);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Information, Message = "The race result for key {Key} was stored on a retry.")]
    private static partial void LogResultWrittenLate(ILogger logger, string key);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Warning, Message = "Redis refused the race result for key {Key}: its lock was released so that a waiter can take over.")]
    private static partial void LogLockReleased(ILogger logger, string key);

    private sealed record RaceState(
        RedisCache Cache, string Key, Func<CancellationToken, Task<RaceResult>> Fn, TimeSpan WaitFor, TimeSpan Ttl);
}
