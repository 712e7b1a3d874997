using System.Diagnostics;
using System.Runtime.ExceptionServices;
using System.Text;
using HybridCaching.Redis.Client;
using MessagePack;
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
public sealed partial class RedisCache : ICacheAdapter
{
    private const string ClearKey = "!clear!";
    private static readonly TimeSpan ClearWaitFor = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan ClearSuppression = TimeSpan.FromMilliseconds(10);

    private readonly RedisConnection _connection;
    private readonly bool _ownsConnection;
    private readonly string _prefix;
    private readonly string _lockPrefix;
    private readonly byte[] _lockPrefixBytes;
    private readonly bool _skipLock;
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
        _notifyWaiters = options.NotifyWaiters;
        _retryDelay = options.RetryDelay;
        _time = options.TimeProvider;
        _flights = new SingleFlight<RaceResult>(_time);
        _logger = connection.Options.LoggerFactory?.CreateLogger<RedisCache>() ?? NullLogger<RedisCache>.Instance;
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
        var reply = await _connection.ExecuteAsync("GET", [_prefix + key], cancellationToken).ConfigureAwait(false);
        return reply.AsBytes();
    }

    /// <inheritdoc/>
    /// <remarks>A key stored without expiry reports <see cref="Timeout.InfiniteTimeSpan"/> as its time to live.</remarks>
    public async ValueTask<CacheFetchResult> FetchAsync(string key, CancellationToken cancellationToken = default)
    {
        CacheArgument.ThrowIfInvalidKey(key);
        ThrowIfDisposed();
        RedisArgument[] arguments = [_prefix + key];
        var get = _connection.ExecuteAsync("GET", arguments, cancellationToken);
        var ttl = _connection.ExecuteAsync("PTTL", arguments, cancellationToken);
        await Task.WhenAll(get, ttl).ConfigureAwait(false);
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
        await _connection.ExecuteAsync("SET", [_prefix + key, value, "PX", Milliseconds(ttl)], cancellationToken).ConfigureAwait(false);
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
        for (var i = 0; i < list.Count; i++)
        {
            arguments[i] = _prefix + list[i];
        }

        await UnlinkAsync(arguments, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    /// <remarks>Runs once across servers at a time (suppressed under the key <c>!clear!</c>); lock keys are kept.</remarks>
    public async ValueTask ClearAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        await RaceAsync(
            ClearKey,
            async token =>
            {
                await ClearCoreAsync(token).ConfigureAwait(false);
                return new RaceResult(null, NoCache: true);
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
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult(); // replaced with the StackExchange.Redis port

    /// <summary>Disposes the connection when the cache created it.</summary>
    /// <returns>A task that completes when done.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (_ownsConnection)
        {
            await _connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static long Milliseconds(TimeSpan value) => Math.Max(1, (long)Math.Ceiling(value.TotalMilliseconds));

    private static bool IsPlaceholder(byte[] value) => value.AsSpan().SequenceEqual(LockResultCodec.Placeholder);

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
                try
                {
                    var set = _connection.ExecuteAsync("SET", [lockKey, "1", "PX", Milliseconds(state.WaitFor), "NX"], cancellationToken);
                    var get = _connection.ExecuteAsync("GET", [lockKey], cancellationToken);
                    await Task.WhenAll(set, get).ConfigureAwait(false);
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
                    return await LeadAsync(lockKey, state, cancellationToken).ConfigureAwait(false);
                }

                if (current is not null && !IsPlaceholder(current))
                {
                    (byte[]? Value, string? Error) decoded;
                    try
                    {
                        decoded = LockResultCodec.Decode(current);
                    }
                    catch (MessagePackSerializationException ex)
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

    private async Task<RaceResult> LeadAsync(string lockKey, RaceState state, CancellationToken cancellationToken)
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
            var write = _connection.ExecuteAsync("SET", [lockKey, payload, "PX", Milliseconds(state.Ttl)], CancellationToken.None);
            if (_notifyWaiters)
            {
                var publish = _connection.ExecuteAsync("PUBLISH", [lockKey, RedisArgument.FromBytes(ReadOnlyMemory<byte>.Empty)], CancellationToken.None);
                await Task.WhenAll(write, publish).ConfigureAwait(false);
            }
            else
            {
                await write.ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // Waiters on other servers fall back to running the work themselves once the lock expires.
            LogResultNotWritten(_logger, state.Key, ex.Message);
        }

        failure?.Throw();
        return result;
    }

    private async Task ClearCoreAsync(CancellationToken cancellationToken)
    {
        var pattern = EscapeGlob(_prefix) + "*";
        var cursor = "0";
        do
        {
            var reply = await _connection.ExecuteAsync("SCAN", [cursor, "MATCH", pattern, "COUNT", 1000], cancellationToken).ConfigureAwait(false);
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
                if (name is not null && !name.AsSpan().StartsWith(_lockPrefixBytes))
                {
                    batch.Add(name);
                }
            }

            if (batch.Count > 0)
            {
                await UnlinkAsync([.. batch], cancellationToken).ConfigureAwait(false);
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
                await _connection.ExecuteAsync("UNLINK", keys, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (RedisServerException ex) when (ex.Message.StartsWith("ERR unknown command", StringComparison.OrdinalIgnoreCase))
            {
                _useDel = true;
            }
        }

        await _connection.ExecuteAsync("DEL", keys, cancellationToken).ConfigureAwait(false);
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

    [LoggerMessage(EventId = 20, Level = LogLevel.Warning, Message = "Redis lock for key {Key} unavailable ({Reason}); running the work without it.")]
    private static partial void LogLockUnavailable(ILogger logger, string key, string reason);

    [LoggerMessage(EventId = 21, Level = LogLevel.Warning, Message = "The race result stored for key {Key} is unreadable ({Reason}); running the work.")]
    private static partial void LogUnreadableResult(ILogger logger, string key, string reason);

    [LoggerMessage(EventId = 22, Level = LogLevel.Warning, Message = "Could not store the race result for key {Key}: {Reason}")]
    private static partial void LogResultNotWritten(ILogger logger, string key, string reason);

    private sealed record RaceState(
        RedisCache Cache, string Key, Func<CancellationToken, Task<RaceResult>> Fn, TimeSpan WaitFor, TimeSpan Ttl);
}
