using System.Diagnostics;
using System.Runtime.ExceptionServices;
using System.Text;
using MessagePack;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace HybridCaching.Redis;

/// <summary>
/// A cache adapter over Redis (standalone, Cluster or Sentinel, through StackExchange.Redis), shared by many servers:
/// entries and stampede locks are compatible with Go's <c>cshum/hybridcache</c> on the same Redis and prefix.
/// </summary>
/// <remarks>
/// <para>Get is <c>GET</c>; Fetch is <c>GET</c> and <c>PTTL</c>; Set is <c>SET … PX</c>; Delete is <c>DEL</c> (per hash slot
/// on a cluster) plus the race results under the keys' lock keys; Clear scans <c>prefix*</c> on every primary, deletes in
/// batches (never lock keys), drops race results, and runs once across servers at a time.</para>
/// <para>Race follows the Go lock protocol: <c>SET lockKey "1" PX waitFor NX</c> pipelined with <c>GET lockKey</c>, where
/// lockKey is <see cref="RedisCacheOptions.LockPrefix"/> + <see cref="RedisCacheOptions.Prefix"/> + key (Go's
/// <c>LockPrefix + key</c> with <see cref="RedisCacheOptions.UnprefixedLockKeys"/>); the winner runs the work and leaves
/// <c>{Res, Err}</c> under the lock key (<c>PSETEX</c>) for the suppression TTL; the others read it. The winner also
/// publishes on the lock key's channel (sharded on a cluster), so subscribed waiters look again at once; they poll every
/// <see cref="RedisCacheOptions.RetryDelay"/> until leaders are seen to publish, then once a second as a fallback.</para>
/// <para>Every round trip is bounded by <see cref="RedisCacheOptions.OperationTimeout"/> and the caller's token; each Redis
/// step of a race also by a third of its waitFor. While Redis is unreachable or hung, Get/Fetch/Set/Delete fail fast
/// (CacheFunc and HybridCache treat that as a miss) and Race runs the work directly. A lock attempt that takes the lock
/// after its caller gave up on it is given that caller's result (or released), so no server waits on a leader that is
/// not running.</para>
/// </remarks>
[DebuggerDisplay("RedisCache (prefix '{_prefix,nq}', lock keys '{_lockKeyPrefix,nq}…')")]
public sealed partial class RedisCache : ICacheAdapter, ICacheRace, ICacheRenewal, IDisposable, ICacheBackplaneSource
{
    private const string ClearKey = "!clear!";
    private const int ScanPageSize = 1000;

    // Go's values (SPEC §6): a Go Clear() reads what a .NET Clear leaves, and the other way round.
    private static readonly TimeSpan ClearWaitFor = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan ClearSuppression = TimeSpan.FromMilliseconds(300);

    // A subscribed waiter's poll while leaders are known to publish: only a fallback (lost notification, dead leader).
    private static readonly TimeSpan NotifiedPollDelay = TimeSpan.FromSeconds(1);

    // Lua scripts on one key each (cluster-safe). Removes a lock key unless a live leader's placeholder (ARGV[1]) holds it.
    private const string DeleteResultScript = "if redis.call('GET', KEYS[1]) ~= ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";

    // Releases a lock still held by its leader's placeholder.
    private const string ReleaseScript = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";

    // Renews a key's TTL (ARGV[2] ms) only while it holds the bytes read (ARGV[1]).
    private const string RenewScript = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0";

    private static readonly RedisValue[] PlaceholderArgument = [LockResultCodec.PlaceholderText];

    private readonly Task<IConnectionMultiplexer> _connecting;
    private readonly bool _ownsMultiplexer;
    private readonly string _prefix;
    private readonly string _lockKeyPrefix;
    private readonly byte[] _lockPrefixBytes;
    private readonly TimeSpan _operationTimeout;
    private readonly TimeProvider _time;

    // How long a write waits for an owned multiplexer's first connection attempt (ConnectTimeout).
    private readonly TimeSpan _writeConnectWait;
    private readonly ResponseGuard _guard;
    private readonly CancellationTokenSource _disposing = new();

    // Set once a command waited OperationTimeout for the first connection in vain: later commands fail fast until it ends.
    private volatile bool _connectWaitExpired;

    // Whether the last race waited out subscribed was ended by the leader's notification (the Go original's leaders do
    // not publish): while true, subscribed waiters poll every NotifiedPollDelay instead of every RetryDelay.
    private volatile bool _leadersNotify;
    private readonly ILogger _logger;
    private readonly RedisCacheOptions _options;
    private int _topology; // 0 unknown, 1 standalone or sentinel-managed, 2 cluster
    private int _disposed;

    /// <summary>Creates a cache over its own multiplexer, configured from a StackExchange.Redis configuration string (e.g.
    /// <c>localhost:6379,password=…</c>, several endpoints for a cluster, or sentinels with <c>serviceName=…</c>), as the
    /// <see cref="ConfigurationOptions"/> constructor does; while Redis is down, commands fail at once
    /// (<see cref="BacklogPolicy.FailFast"/>) unless the string says otherwise.</summary>
    /// <param name="configuration">The configuration string.</param>
    /// <param name="options">The options; <see langword="null"/> for the defaults.</param>
    /// <param name="logger">Where faults are logged; none when null.</param>
    public RedisCache(string configuration, RedisCacheOptions? options = null, ILogger? logger = null)
        : this(ParseConfiguration(configuration), options, logger)
    {
    }

    /// <summary>Creates a cache over its own multiplexer, built from <paramref name="configuration"/> (TLS, ACL users,
    /// Sentinel, Cluster), connecting in the background: <see cref="ConfigurationOptions.AbortOnConnectFail"/> is turned off
    /// so the cache never throws because Redis is down. Writes issued during the first connection attempt wait for it, at
    /// most <see cref="ConfigurationOptions.ConnectTimeout"/>. Disposing the cache disposes the multiplexer.</summary>
    /// <param name="configuration">The configuration (cloned; the caller's instance is not changed).</param>
    /// <param name="options">The options; <see langword="null"/> for the defaults.</param>
    /// <param name="logger">Where faults are logged; none when null.</param>
    public RedisCache(ConfigurationOptions configuration, RedisCacheOptions? options = null, ILogger? logger = null)
        : this(ConnectAsync(configuration), options, logger, ownsMultiplexer: true, TimeSpan.FromMilliseconds(configuration?.ConnectTimeout ?? 0))
    {
    }

    /// <summary>Creates a cache over the application's multiplexer, which it shares and does not dispose.</summary>
    /// <remarks>With <see cref="BacklogPolicy.FailFast"/> calls fail at once while Redis is down; with another policy the
    /// cache still fails them at once while <see cref="IConnectionMultiplexer.IsConnected"/> is false, and bounds the
    /// rest by <see cref="RedisCacheOptions.OperationTimeout"/>.</remarks>
    /// <param name="multiplexer">The multiplexer.</param>
    /// <param name="options">The options; <see langword="null"/> for the defaults.</param>
    /// <param name="logger">Where faults are logged; none when null.</param>
    public RedisCache(IConnectionMultiplexer multiplexer, RedisCacheOptions? options = null, ILogger? logger = null)
        : this(Task.FromResult(multiplexer ?? throw new ArgumentNullException(nameof(multiplexer))), options, logger, ownsMultiplexer: false, TimeSpan.Zero)
    {
    }

    internal RedisCache(Task<IConnectionMultiplexer> connecting, RedisCacheOptions? options, ILogger? logger, bool ownsMultiplexer, TimeSpan writeConnectWait)
    {
        // A copy: settings changed after construction neither take effect nor skip validation.
        options = options?.Snapshot() ?? new RedisCacheOptions();
        options.Validate();
        _options = options;
        _connecting = connecting;
        _ownsMultiplexer = ownsMultiplexer;

        // A multiplexer that could not even be created (bad configuration) fails every call; its exception is observed.
        TaskObservation.ObserveFailure(connecting);
        _prefix = options.Prefix;
        _lockKeyPrefix = options.UnprefixedLockKeys ? options.LockPrefix : options.LockPrefix + options.Prefix;
        _lockPrefixBytes = Encoding.UTF8.GetBytes(options.LockPrefix);
        _operationTimeout = options.OperationTimeout;
        _time = options.TimeProvider;
        _writeConnectWait = writeConnectWait;
        _logger = logger ?? NullLogger.Instance;
        _guard = new ResponseGuard(_operationTimeout, _time, _logger, _disposing.Token);
    }

    /// <summary>The multiplexer this cache runs on; <see langword="null"/> while an owned multiplexer is still making its
    /// first connection attempt.</summary>
    public IConnectionMultiplexer? Multiplexer => _connecting.IsCompletedSuccessfully ? Completed(_connecting) : null;

    /// <inheritdoc/>
    /// <remarks>Returns <see langword="null"/> when <see cref="RedisCacheOptions.Backplane"/> is <see cref="RedisBackplaneMode.Off"/>.</remarks>
    public ICacheBackplane? CreateBackplane(ICacheBackplaneListener listener)
    {
        ArgumentNullException.ThrowIfNull(listener);
        ThrowIfDisposed();
        return _options.Backplane == RedisBackplaneMode.Off ? null : new RedisBackplane(_connecting, Channel, _options, listener, _logger).Start();
    }

    /// <inheritdoc/>
    public ValueTask<byte[]?> GetAsync(string key, CancellationToken cancellationToken = default)
    {
        var redisKey = ValueKey(key);
        return Timed("get", _operationTimeout, redisKey, redisKey, static (db, key) => db.StringGetAsync(key), static value => (byte[]?)value, cancellationToken, foreignIsMiss: true);
    }

    /// <inheritdoc/>
    /// <remarks>A key stored without expiry reports <see cref="Timeout.InfiniteTimeSpan"/> as its time to live.</remarks>
    public ValueTask<CacheFetchResult> FetchAsync(string key, CancellationToken cancellationToken = default)
    {
        var redisKey = ValueKey(key);
        return Timed("fetch", _operationTimeout, redisKey, redisKey, static (db, key) => db.StringGetWithExpiryAsync(key), ToFetchResult, cancellationToken, foreignIsMiss: true);
    }

    /// <inheritdoc/>
    public async ValueTask SetAsync(string key, byte[] value, TimeSpan ttl, CancellationToken cancellationToken = default)
    {
        CacheArgument.ThrowIfInvalidWrite(key, value, ttl);
        var redisKey = ValueKey(key);
        await Timed("set", _writeConnectWait, redisKey, (Key: redisKey, Value: value, Ttl: ttl), static (db, set) => db.ExecuteAsync("SET", set.Key, set.Value, "PX", Milliseconds(set.Ttl)), static reply => reply, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    /// <remarks>On a cluster the keys are deleted one hash slot at a time (Redis refuses a multi-key command across slots).</remarks>
    public async ValueTask DeleteAsync(IEnumerable<string> keys, CancellationToken cancellationToken = default)
    {
        var list = CacheArgument.ThrowIfInvalidKeys(keys);
        ThrowIfDisposed();
        if (list.Count == 0)
        {
            return;
        }

        var db = await DatabaseAsync(_writeConnectWait, default, cancellationToken).ConfigureAwait(false);
        var valueKeys = list.Select(key => (RedisKey)(_prefix + key)).ToArray();
        var lockKeys = list.Select(key => (RedisKey)(_lockKeyPrefix + key)).ToArray();

        // A race result left under a lock key would answer the next miss with the deleted value. Each command is guarded
        // on its own, so the keys of servers that answer are deleted.
        await Task.WhenAll(DeleteKeys(db, valueKeys, cancellationToken), DeleteRaceResults(db, lockKeys, cancellationToken)).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    /// <remarks>Runs once across servers at a time (suppressed under the key <c>!clear!</c>, with the Go original's lock
    /// and result); on every primary, removes the keys that start with <see cref="RedisCacheOptions.Prefix"/> and the race
    /// results left under this cache's lock keys, never a lock held by a running leader. Keys of a cache whose prefix
    /// starts with this one (<c>app:</c> and <c>app:v2:</c>) are removed too.</remarks>
    /// <exception cref="InvalidOperationException">The prefix is empty and <see cref="RedisCacheOptions.AllowClearingWholeDatabase"/>
    /// is not set, or the prefix ends in a letter or digit (<c>tenant1</c> would clear <c>tenant10</c> too).</exception>
    public async ValueTask ClearAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        if (_prefix.Length == 0 && !_options.AllowClearingWholeDatabase)
        {
            throw new InvalidOperationException(
                "RedisCache.ClearAsync with an empty Prefix would delete every key in the database. Set RedisCacheOptions.Prefix "
                + "(e.g. \"myapp:\"), or set RedisCacheOptions.AllowClearingWholeDatabase to clear the whole database.");
        }

        if (_prefix.Length > 0 && char.IsLetterOrDigit(_prefix[^1]))
        {
            throw new InvalidOperationException(
                $"RedisCache.ClearAsync deletes every key that starts with the Prefix \"{_prefix}\", so it would also delete the keys "
                + $"of another prefix such as \"{_prefix}0:\". End RedisCacheOptions.Prefix with a separator (e.g. \"{_prefix}:\"); "
                + "nothing was deleted.");
        }

        await RaceAsync(ClearKey, ClearCoreAsync, ClearWaitFor, ClearSuppression, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    /// <remarks>One round trip: a script that compares the stored value with <paramref name="expected"/> and runs
    /// <c>PEXPIRE</c> on a match, so a key removed or rewritten since the read is left as it is.</remarks>
    public async ValueTask<bool> RenewIfUnchangedAsync(string key, byte[] expected, TimeSpan ttl, CancellationToken cancellationToken = default)
    {
        CacheArgument.ThrowIfInvalidWrite(key, expected, ttl);
        var redisKey = ValueKey(key);
        return await Timed(
            operation: null,
            _writeConnectWait,
            redisKey,
            (Key: redisKey, Expected: expected, Ttl: ttl),
            static (db, renew) => db.ScriptEvaluateAsync(RenewScript, [renew.Key], [renew.Expected, Milliseconds(renew.Ttl)]),
            static reply => (long)reply == 1,
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends a <c>PING</c> through the cache's connection (waiting for a first connection attempt), bounded like
    /// every round trip by <see cref="RedisCacheOptions.OperationTimeout"/> and <paramref name="cancellationToken"/>.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The round trip's latency, as StackExchange.Redis measured it.</returns>
    /// <exception cref="RedisConnectionException">Redis is not connected (or not yet, after the bound).</exception>
    /// <exception cref="TimeoutException">Redis did not answer in time (calls then fail at once until it answers).</exception>
    public Task<TimeSpan> PingAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        return Timed("ping", _operationTimeout, default, 0, static (db, _) => db.PingAsync(), static latency => latency, cancellationToken).AsTask();
    }

    /// <inheritdoc/>
    /// <remarks>Every call races on its own, as another server's would (<see cref="CacheFunc"/>'s single-flight makes that
    /// one race per key and process). With <see cref="RedisCacheOptions.SkipLock"/> the work runs here, without a lock.</remarks>
    public Task<RaceResult> RaceAsync(
        string key,
        Func<CancellationToken, Task<RaceResult>> fn,
        TimeSpan waitFor,
        TimeSpan ttl,
        CancellationToken cancellationToken = default)
    {
        CacheArgument.ThrowIfInvalidRace(key, fn, waitFor, ttl);
        ThrowIfDisposed();
        return BoundedRun.RunAsync(
            key,
            new RaceState(this, key, _lockKeyPrefix + key, fn, waitFor, ttl),
            static (state, token) => state.Cache.RaceAcrossServersAsync(state, token),
            waitFor,
            _time,
            cancellationToken);
    }

    // One Redis command on the server that serves key (default for PING), bounded like every round trip, its duration
    // recorded under operation (none for renew). State and convert avoid a closure. A read (foreignIsMiss) of a key held
    // as another type (a hash, as Microsoft's RedisCache writes) is a miss: convert gets "nothing there".
    private async ValueTask<TResult> Timed<TState, TReply, TResult>(
        string? operation, TimeSpan connectWait, RedisKey key, TState state, Func<IDatabase, TState, Task<TReply>> command, Func<TReply, TResult> convert, CancellationToken cancellationToken, bool foreignIsMiss = false)
    {
        var started = Stopwatch.GetTimestamp();
        Task<TReply>? pending = null;
        try
        {
            var db = await DatabaseAsync(connectWait, key, cancellationToken).ConfigureAwait(false);
            pending = command(db, state);
            await _guard.Bound(pending, TimeSpan.MaxValue, cancellationToken).ConfigureAwait(false);
            RedisTelemetry.Record(operation, started, null);
            return convert(await pending.ConfigureAwait(false));
        }
        catch (RedisServerException ex) when (foreignIsMiss && ex.Message.StartsWith("WRONGTYPE", StringComparison.Ordinal))
        {
            RedisTelemetry.Record(operation, started, null);
            return convert(default!);
        }
        catch (Exception ex)
        {
            var failure = pending is null ? ex : _guard.Failed(ex, pending, TimeSpan.MaxValue, new GuardTarget(Multiplexer, key));
            RedisTelemetry.Record(operation, started, failure);
            ExceptionDispatchInfo.Throw(failure);
            throw;
        }
    }

    /// <summary>Disposes the multiplexer when the cache created it.</summary>
    /// <remarks>Never waits for an owned multiplexer's first connection attempt: that multiplexer is closed when the
    /// attempt ends. Commands still waiting are failed.</remarks>
    /// <returns>A task that completes when done.</returns>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>Disposes the multiplexer when the cache created it (for hosts that dispose synchronously).</summary>
    /// <remarks>Like <see cref="DisposeAsync"/>, never waits for an owned multiplexer's first connection attempt.</remarks>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _disposing.Cancel(); // (not disposed: the guard's probe and connection waits may still read its token)
        if (_ownsMultiplexer)
        {
            _connecting.ContinueWith(static t => CloseNow(Completed(t)), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    // Obsolete in StackExchange.Redis 3.x, whose replacement 2.x lacks: this one builds with both.
    private static RedisConnectionException NotConnected(string message, Exception? innerException = null)
    {
#pragma warning disable CS0618
        return new RedisConnectionException(ConnectionFailureType.UnableToConnect, message, innerException);
#pragma warning restore CS0618
    }

    private static void CloseNow(IConnectionMultiplexer multiplexer)
    {
        multiplexer.Close(allowCommandsToComplete: false);
        multiplexer.Dispose();
    }

    private static ConfigurationOptions ParseConfiguration(string configuration)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(configuration);
        var options = ConfigurationOptions.Parse(configuration);
        options.BacklogPolicy = BacklogPolicy.FailFast;
        return options;
    }

    private static async Task<IConnectionMultiplexer> ConnectAsync(ConfigurationOptions configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var options = configuration.Clone();
        options.AbortOnConnectFail = false;
        return await ConnectionMultiplexer.ConnectAsync(options).ConfigureAwait(false);
    }

    private static CacheFetchResult ToFetchResult(RedisValueWithExpiry reply)
        => (byte[]?)reply.Value is { } value ? new CacheFetchResult(value, reply.Expiry ?? Timeout.InfiniteTimeSpan) : CacheFetchResult.NotFound;

    private static long Milliseconds(TimeSpan value) => Math.Max(1, (long)Math.Ceiling(value.TotalMilliseconds));

    // A throw while starting a task turned into a faulted task, so every task started together is awaited.
    private static Task<T> Started<T>(Func<Task<T>> start)
    {
        try
        {
            return start();
        }
        catch (Exception ex)
        {
            return Task.FromException<T>(ex);
        }
    }

    // What a finished run leaves its waiters: its result, its failure's message, or nothing when it was abandoned.
    private static byte[]? Payload(Task<RaceResult> run, CancellationToken cancellationToken)
    {
        Debug.Assert(run.IsCompleted, "Read only once finished.");
        if (run.IsCompletedSuccessfully)
        {
            return LockResultCodec.Encode(Completed(run));
        }

        var failure = run.Exception?.InnerException ?? new TaskCanceledException(run);
        return failure is OperationCanceledException && cancellationToken.IsCancellationRequested ? null : LockResultCodec.Encode(null, failure.Message);
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

    // A single key's arguments checked, then that key with the prefix.
    private RedisKey ValueKey(string key)
    {
        CacheArgument.ThrowIfInvalidKey(key);
        ThrowIfDisposed();
        return _prefix + key;
    }

    // Fails at once while Redis is known to be down or the server that serves key (default: none) is hung. A first
    // connection attempt is waited for at most connectWait; once one such wait of OperationTimeout has run out, calls
    // that may not wait longer fail at once.
    private ValueTask<IDatabase> DatabaseAsync(TimeSpan connectWait, RedisKey key, CancellationToken cancellationToken)
    {
        if (!_connecting.IsCompleted)
        {
            return _connectWaitExpired && connectWait <= _operationTimeout
                ? throw NotConnected("Still connecting to Redis; the command was not sent.")
                : new ValueTask<IDatabase>(WaitForMultiplexerAsync(connectWait, key, cancellationToken));
        }

        if (!_connecting.IsCompletedSuccessfully)
        {
            throw NotConnected("Could not create the Redis multiplexer.", _connecting.Exception?.InnerException);
        }

        var multiplexer = Completed(_connecting);
        if (!multiplexer.IsConnected)
        {
            throw NotConnected("Redis is not connected (reconnecting in the background); the command was not sent.");
        }

        _guard.ThrowIfUnresponsive(new GuardTarget(multiplexer, key));
        return new ValueTask<IDatabase>(multiplexer.GetDatabase(_options.Database ?? -1));
    }

    private async Task<IDatabase> WaitForMultiplexerAsync(TimeSpan connectWait, RedisKey key, CancellationToken cancellationToken)
    {
        using var waiting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _disposing.Token);
        try
        {
            // WhenAny: a failed attempt is reported by DatabaseAsync, as a connection failure.
            await Task.WhenAny(_connecting).WaitAsync(connectWait, _time, waiting.Token).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            if (connectWait >= _operationTimeout)
            {
                _connectWaitExpired = true;
            }

            throw NotConnected("Still connecting to Redis; the command was not sent.");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            ThrowIfDisposed();
            throw;
        }

        return await DatabaseAsync(connectWait, key, cancellationToken).ConfigureAwait(false);
    }

    // Known once a server is connected; false until then.
    private bool IsCluster(IConnectionMultiplexer multiplexer)
    {
        if (Volatile.Read(ref _topology) == 0 && multiplexer.GetServers() is var servers && servers.Any(s => s.IsConnected))
        {
            Volatile.Write(ref _topology, servers.Any(s => s.ServerType == ServerType.Cluster) ? 2 : 1);
        }

        return Volatile.Read(ref _topology) == 2;
    }

    private RedisChannel Channel(IConnectionMultiplexer multiplexer, string name)
        => IsCluster(multiplexer) ? RedisChannel.Sharded(name) : RedisChannel.Literal(name);

    // Keys grouped for one DEL each: all together, or by hash slot on a cluster.
    private IEnumerable<RedisKey[]> BySlot(IConnectionMultiplexer multiplexer, RedisKey[] keys)
        => IsCluster(multiplexer) ? keys.GroupBy(multiplexer.HashSlot).Select(slot => slot.ToArray()) : [keys];

    private Task DeleteKeys(IDatabase db, RedisKey[] keys, CancellationToken cancellationToken)
        => Task.WhenAll(BySlot(db.Multiplexer, keys).Select(slot => Guarded(db, slot[0], () => db.KeyDeleteAsync(slot), cancellationToken)).ToList());

    private Task DeleteRaceResults(IDatabase db, RedisKey[] lockKeys, CancellationToken cancellationToken)
        => Task.WhenAll(lockKeys.Select(lockKey => Guarded(db, lockKey, () => db.ScriptEvaluateAsync(DeleteResultScript, [lockKey], PlaceholderArgument), cancellationToken)));

    // One command, not sent while the server that serves key is marked unresponsive, bounded like every round trip.
    private async Task Guarded<T>(IDatabase db, RedisKey key, Func<Task<T>> start, CancellationToken cancellationToken)
    {
        var target = new GuardTarget(db.Multiplexer, key);
        _guard.ThrowIfUnresponsive(target);
        await _guard.WaitAsync(start(), target, cancellationToken).ConfigureAwait(false);
    }

    private async Task<RaceResult> RaceAcrossServersAsync(RaceState state, CancellationToken cancellationToken)
    {
        if (_options.SkipLock)
        {
            return await state.Fn(cancellationToken).ConfigureAwait(false);
        }

        var started = _time.GetTimestamp();

        // A Redis step of the race (connection, lock attempt, subscription) may take OperationTimeout and a third of
        // waitFor at most: when Redis cannot answer within that, the work runs here with the rest.
        var stepBudget = state.WaitFor / 3 < _operationTimeout ? state.WaitFor / 3 : _operationTimeout;
        RaceWaiter? waiter = null;
        var subscribeTried = !_options.NotifyWaiters;
        bool? woken = null; // how the last wait of a subscribed waiter ended: a notification, its poll delay, or neither (a restore)
        try
        {
            for (var attempt = 0; ; attempt++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                IDatabase? db = null;
                Task<RedisResult>? set = null;
                bool acquired;
                byte[]? current;
                long attemptStarted;
                try
                {
                    db = await DatabaseAsync(stepBudget, state.LockKey, cancellationToken).ConfigureAwait(false);
                    attemptStarted = _time.GetTimestamp();
                    set = db.ExecuteAsync("SET", (RedisKey)state.LockKey, LockResultCodec.PlaceholderText, "PX", Milliseconds(state.WaitFor), "NX");
                    var get = Started(() => db.StringGetAsync(state.LockKey));
                    await _guard.WaitAsync(Task.WhenAll(set, get), new GuardTarget(db.Multiplexer, state.LockKey), cancellationToken, stepBudget).ConfigureAwait(false);
                    acquired = !(await set.ConfigureAwait(false)).IsNull;
                    current = (byte[]?)await get.ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException && !cancellationToken.IsCancellationRequested)
                {
                    // Redis is unreachable, hung or disposed: run the work here. A lock attempt still in flight that takes
                    // the lock all the same is handed this run's result.
                    LogLockUnavailable(_logger, state.Key, ex.Message);
                    var run = Started(() => state.Fn(cancellationToken));
                    _ = HandOverLateLockAsync(db, set, run, state, cancellationToken);
                    return await run.ConfigureAwait(false);
                }
                catch
                {
                    // The caller left while the lock attempt was in flight: a lock it takes all the same is released.
                    _ = HandOverLateLockAsync(db, set, run: null, state, cancellationToken);
                    throw;
                }

                if (acquired)
                {
                    // The write is sent before the callers get their result, not waited for: a hung Redis must not turn a
                    // computed value into a timeout. An abandoned run leaves no result: the lock is released for a waiter.
                    var run = Started(() => state.Fn(cancellationToken));
                    await ((Task)run).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                    _ = SettleLockAsync(db, Payload(run, cancellationToken), state, attemptStarted);
                    return await run.ConfigureAwait(false);
                }

                if (current is not null && !current.AsSpan().SequenceEqual(LockResultCodec.Placeholder))
                {
                    if (woken is { } notified)
                    {
                        _leadersNotify = notified;
                    }

                    try
                    {
                        return LockResultCodec.ToRaceResult(current);
                    }
                    catch (MessagePackSerializationException ex)
                    {
                        LogUnreadableResult(_logger, state.Key, ex.Message);
                        return await state.Fn(cancellationToken).ConfigureAwait(false);
                    }
                }

                if (!subscribeTried)
                {
                    // Then look again at once: a result written before the subscription took effect is seen.
                    subscribeTried = true;
                    waiter = await RaceWaiter.TrySubscribeAsync(db.Multiplexer.GetSubscriber(), Channel(db.Multiplexer, state.LockKey), _time, _guard, new GuardTarget(db.Multiplexer, state.LockKey), stepBudget, cancellationToken).ConfigureAwait(false);
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

                var delay = waiter is not null && _leadersNotify ? NotifiedPollDelay : _options.RetryDelay(attempt);
                delay = delay < remaining ? delay : remaining;
                if (waiter is null)
                {
                    await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    woken = await waiter.WaitAsync(delay, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            waiter?.Dispose();
        }
    }

    // Never throws. A lock attempt its caller gave up on that took the lock all the same gets the result of the run done
    // instead, or is released when there is none.
    private async Task HandOverLateLockAsync(IDatabase? db, Task<RedisResult>? lockAttempt, Task<RaceResult>? run, RaceState state, CancellationToken runToken)
    {
        if (db is null || lockAttempt is null)
        {
            return;
        }

        await ((Task)lockAttempt).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (!lockAttempt.IsCompletedSuccessfully || Completed(lockAttempt).IsNull)
        {
            return;
        }

        var lockedAt = _time.GetTimestamp();
        LogLateLock(_logger, state.Key);
        if (run is not null)
        {
            await ((Task)run).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        await SettleLockAsync(db, run is null ? null : Payload(run, runToken), state, lockedAt).ConfigureAwait(false);
    }

    // Never throws. Hands a lock this process holds to its waiters: payload written under it (PSETEX), or the lock released
    // when there is none or the server refuses it; then publishes. A failure is retried until the lock would expire by
    // itself (lockedAt, when the winning attempt was sent, + waitFor).
    private async Task SettleLockAsync(IDatabase db, byte[]? payload, RaceState state, long lockedAt)
    {
        var retryDelay = TimeSpan.FromMilliseconds(50);
        for (var retried = false; ; retried = true)
        {
            try
            {
                var target = new GuardTarget(db.Multiplexer, state.LockKey);
                _guard.ThrowIfUnresponsive(target);
                var command = payload is null
                    ? db.ScriptEvaluateAsync(ReleaseScript, [state.LockKey], PlaceholderArgument)
                    : db.ExecuteAsync("PSETEX", (RedisKey)state.LockKey, Milliseconds(state.Ttl), payload);
                Task publish = _options.NotifyWaiters
                    ? Started(() => db.Multiplexer.GetSubscriber().PublishAsync(Channel(db.Multiplexer, state.LockKey), RedisValue.EmptyString))
                    : Task.CompletedTask;
                await _guard.WaitAsync(Task.WhenAll(command, publish), target, CancellationToken.None).ConfigureAwait(false);
                if (retried && payload is not null)
                {
                    LogResultWrittenLate(_logger, state.Key);
                }

                return;
            }
            catch (RedisServerException) when (payload is not null)
            {
                payload = null;
                LogLockReleased(_logger, state.Key);
                continue;
            }
            catch (ObjectDisposedException ex)
            {
                LogResultNotWritten(_logger, state.Key, ex.Message);
                return;
            }
#pragma warning disable CA1031 // detached: every failure is logged, then retried until the lock expires by itself
            catch (Exception ex)
#pragma warning restore CA1031
            {
                LogResultNotWritten(_logger, state.Key, ex.Message);
            }

            if (_time.GetElapsedTime(lockedAt) + retryDelay >= state.WaitFor || Volatile.Read(ref _disposed) != 0)
            {
                return;
            }

            await Task.Delay(retryDelay, _time).ConfigureAwait(false);
            retryDelay = retryDelay * 2 < TimeSpan.FromSeconds(1) ? retryDelay * 2 : TimeSpan.FromSeconds(1);
        }
    }

    private async Task<RaceResult> ClearCoreAsync(CancellationToken cancellationToken)
    {
        var db = await DatabaseAsync(_writeConnectWait, default, cancellationToken).ConfigureAwait(false);
        var primaries = db.Multiplexer.GetServers().Where(s => !s.IsReplica && s.ServerType != ServerType.Sentinel).ToList();
        if (primaries.Count == 0 || primaries.Any(s => !s.IsConnected))
        {
            throw NotConnected("Not every Redis primary is connected; nothing was cleared.");
        }

        // One primary that does not answer fails the clear before anything is deleted.
        primaries.ForEach(server => _guard.ThrowIfUnresponsive(GuardTarget.Of(server)));

        foreach (var server in primaries)
        {
            await ScanAsync(server, db.Database, RedisGlob.Escape(_prefix) + "*", keys => DeleteKeys(db, keys, cancellationToken), excludeLockKeys: true, cancellationToken).ConfigureAwait(false);

            // Race results would answer the next miss with a cleared value (live locks are kept).
            await ScanAsync(server, db.Database, RedisGlob.Escape(_lockKeyPrefix) + "*", keys => DeleteRaceResults(db, keys, cancellationToken), excludeLockKeys: false, cancellationToken).ConfigureAwait(false);
        }

        return new RaceResult(null);
    }

    // SCAN on one server, each page bounded like any round trip; onBatch gets each page's keys and guards its commands.
    private async Task ScanAsync(IServer server, int database, string pattern, Func<RedisKey[], Task> onBatch, bool excludeLockKeys, CancellationToken cancellationToken)
    {
        RedisValue cursor = 0;
        do
        {
            _guard.ThrowIfUnresponsive(GuardTarget.Of(server));
            var scan = server.ExecuteAsync(database, "SCAN", [cursor, "MATCH", pattern, "COUNT", ScanPageSize], CommandFlags.None);
            await _guard.WaitAsync(scan, GuardTarget.Of(server), cancellationToken).ConfigureAwait(false);
            var parts = (RedisResult[]?)await scan.ConfigureAwait(false);
            if (parts is not { Length: 2 })
            {
                throw new RedisException("Unexpected SCAN reply.");
            }

            cursor = (RedisValue)parts[0];
            var keys = ((RedisKey[]?)parts[1] ?? [])
                .Where(k => !(excludeLockKeys && ((byte[]?)k ?? []).AsSpan().StartsWith(_lockPrefixBytes)))
                .ToArray();
            if (keys.Length > 0)
            {
                await onBatch(keys).ConfigureAwait(false);
            }
        }
        while (cursor != 0);
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

    [LoggerMessage(EventId = 3012, Level = LogLevel.Warning, Message = "The lock for key {Key} was taken after its caller had stopped waiting for Redis: it is handed that caller's result, or released.")]
    private static partial void LogLateLock(ILogger logger, string key);

    private sealed record RaceState(
        RedisCache Cache, string Key, string LockKey, Func<CancellationToken, Task<RaceResult>> Fn, TimeSpan WaitFor, TimeSpan Ttl);

    // The result of a task the caller saw complete successfully: reading it does not block.
    private static T Completed<T>(Task<T> task)
    {
        Debug.Assert(task.IsCompletedSuccessfully, "Read only once completed.");
#pragma warning disable RS0030 // completed: no sync-over-async
        return task.Result;
#pragma warning restore RS0030
    }
}
