using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using Microsoft.Extensions.Logging;

namespace HybridCaching.Redis.Client;

/// <summary>
/// Keeps one <see cref="PhysicalConnection"/> open to an endpoint: opens it (TCP, TLS, HELLO/AUTH/SETNAME/SELECT),
/// sweeps command timeouts, sends heartbeats, and reconnects with exponential back-off and jitter when it breaks.
/// While no connection is open, commands fail at once with <see cref="RedisConnectionException"/>, except during the
/// very first attempt, which they wait for.
/// </summary>
internal sealed partial class ManagedConnection : IAsyncDisposable
{
    private readonly RedisConnectionOptions _options;
    private readonly bool _subscriber;
    private readonly Action<RedisReply>? _onMessage;
    private readonly Func<PhysicalConnection, Task>? _onConnected;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _disposing = new();
    private readonly TaskCompletionSource _firstAttempt = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ITimer _timer;
    private PhysicalConnection? _current;
    private Exception? _lastError;
    private Task _connectLoop = Task.CompletedTask;
    private int _reconnecting;
    private int _failureStreak;
    private long _connectedAt;
    private int _pingPending;
    private long _lastPingAt;
    private int _disposed;

    public ManagedConnection(
        RedisConnectionOptions options,
        bool subscriber,
        ILogger logger,
        Action<RedisReply>? onMessage = null,
        Func<PhysicalConnection, Task>? onConnected = null)
    {
        _options = options;
        _subscriber = subscriber;
        _logger = logger;
        _onMessage = onMessage;
        _onConnected = onConnected;
        var minimum = TimeSpan.FromTicks(Math.Min(options.HeartbeatInterval.Ticks, options.CommandTimeout.Ticks) / 4);
        var period = TimeSpan.FromTicks(Math.Clamp(minimum.Ticks, TimeSpan.FromMilliseconds(10).Ticks, TimeSpan.FromSeconds(1).Ticks));
        _timer = options.TimeProvider.CreateTimer(static state => ((ManagedConnection)state!).OnTick(), this, period, period);
    }

    /// <summary>The endpoint, <c>host:port</c>.</summary>
    public string EndPoint => _options.EndPoint;

    /// <summary>Whether a connection is open.</summary>
    public bool IsConnected => Volatile.Read(ref _current) is { IsFailed: false };

    /// <summary>The protocol of the open connection (2 or 3), or 0 when none is open.</summary>
    public int Protocol => Volatile.Read(ref _current)?.Protocol ?? 0;

    /// <summary>Completes when the first connection attempt has succeeded or failed.</summary>
    public Task FirstAttempt => _firstAttempt.Task;

    /// <summary>Why the last connection attempt (or the last connection) failed.</summary>
    public Exception? LastError => Volatile.Read(ref _lastError);

    /// <summary>Starts connecting in the background.</summary>
    public void Start()
    {
        Volatile.Write(ref _reconnecting, 1);
        Volatile.Write(ref _connectLoop, Task.Run(ConnectLoopAsync));
    }

    /// <summary>Sends a command; fails fast with <see cref="RedisConnectionException"/> when not connected.</summary>
    public Task<RedisReply> ExecuteAsync(string name, RedisArgument[] arguments, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var connection = Volatile.Read(ref _current);
        if (connection is null || connection.IsFailed)
        {
            return _firstAttempt.Task.IsCompleted
                ? Task.FromException<RedisReply>(NotConnected(name))
                : ExecuteAfterFirstAttemptAsync(name, arguments, cancellationToken);
        }

        return connection.ExecuteAsync(name, arguments, cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _disposing.CancelAsync().ConfigureAwait(false);
        await _timer.DisposeAsync().ConfigureAwait(false);
        Interlocked.Exchange(ref _current, null)?.Fail(new RedisConnectionException($"The connection to {EndPoint} was disposed."));
        _firstAttempt.TrySetResult();

        // The reconnect loop sees the cancellation at once; wait for it so no socket is opened after this returns.
        await Volatile.Read(ref _connectLoop).ConfigureAwait(false);
        _disposing.Dispose();
    }

    private async Task<RedisReply> ExecuteAfterFirstAttemptAsync(string name, RedisArgument[] arguments, CancellationToken cancellationToken)
    {
        await _firstAttempt.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        return await ExecuteAsync(name, arguments, cancellationToken).ConfigureAwait(false);
    }

    private RedisConnectionException NotConnected(string command)
    {
        var last = LastError;
        return Volatile.Read(ref _disposed) != 0
            ? new RedisConnectionException($"The connection to {EndPoint} was disposed; {command} was not sent.")
            : new RedisConnectionException(
                $"Not connected to {EndPoint} (reconnecting in the background); {command} was not sent."
                + (last is null ? string.Empty : $" Last error: {last.Message}"),
                last);
    }

    // Runs while _reconnecting is 1; whoever sets it from 0 to 1 starts (or continues) the loop, so one runs at a time.
    private async Task ConnectLoopAsync()
    {
        while (Volatile.Read(ref _disposed) == 0)
        {
            var streak = Volatile.Read(ref _failureStreak);
            if (streak > 0)
            {
                try
                {
                    await Task.Delay(BackOff(streak - 1), _options.TimeProvider, _disposing.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }

            PhysicalConnection connection;
            try
            {
                connection = await OpenAsync(_disposing.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_disposing.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                Volatile.Write(ref _lastError, ex);
                LogConnectFailed(_logger, EndPoint, streak, ex.Message);
                Volatile.Write(ref _failureStreak, streak + 1);
                _firstAttempt.TrySetResult();
                continue;
            }

            Volatile.Write(ref _connectedAt, _options.TimeProvider.GetTimestamp());
            Volatile.Write(ref _current, connection);
            LogConnected(_logger, EndPoint, connection.Protocol, _subscriber, streak);
            _firstAttempt.TrySetResult();

            // From here a failure of the connection starts a new loop (OnConnectionFailed). If it failed before this point,
            // its handler found the loop still running and left the reconnecting to it: carry on here, or nobody would.
            Interlocked.Exchange(ref _reconnecting, 0);
            if (Volatile.Read(ref _disposed) != 0)
            {
                Interlocked.Exchange(ref _current, null)?.Fail(new RedisConnectionException($"The connection to {EndPoint} was disposed."));
                return;
            }

            if (!connection.IsFailed || Interlocked.Exchange(ref _reconnecting, 1) != 0)
            {
                return;
            }

            Interlocked.CompareExchange(ref _current, null, connection);
            Volatile.Write(ref _lastError, new RedisConnectionException($"The connection to {EndPoint} broke right after it opened."));
            Volatile.Write(ref _failureStreak, streak + 1);
        }

        Interlocked.Exchange(ref _reconnecting, 0);
        _firstAttempt.TrySetResult();
    }

    private TimeSpan BackOff(int attempt)
    {
        var ceiling = _options.ReconnectMinDelay.TotalMilliseconds * Math.Pow(2, Math.Min(attempt, 20));
        var capped = Math.Min(ceiling, _options.ReconnectMaxDelay.TotalMilliseconds);

        // Jitter: somewhere between half and all of the capped delay, so many clients do not reconnect in step.
        return TimeSpan.FromMilliseconds(capped * (0.5 + (Random.Shared.NextDouble() * 0.5)));
    }

    private async Task<PhysicalConnection> OpenAsync(CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(_options.ConnectTimeout, _options.TimeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
        Socket? socket = null;
        Stream? stream = null;
        PhysicalConnection? connection = null;
        try
        {
            socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await socket.ConnectAsync(_options.Host, _options.Port, linked.Token).ConfigureAwait(false);
            stream = new NetworkStream(socket, ownsSocket: true);
            if (_options.Ssl)
            {
                var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
                stream = ssl;
                await ssl.AuthenticateAsClientAsync(
                    new SslClientAuthenticationOptions
                    {
                        TargetHost = _options.SslHost ?? _options.Host,
                        RemoteCertificateValidationCallback = _options.CertificateValidation,
                    },
                    linked.Token).ConfigureAwait(false);
            }

            connection = new PhysicalConnection(stream, EndPoint, _subscriber, _onMessage, OnConnectionFailed, _options.TimeProvider);
            connection.Start();
            using (linked.Token.UnsafeRegister(
                static state => ((PhysicalConnection)state!).Fail(new OperationCanceledException()), connection))
            {
                await HandshakeAsync(connection, linked.Token).ConfigureAwait(false);
                if (_onConnected is not null)
                {
                    await _onConnected(connection).ConfigureAwait(false);
                }
            }

            return connection;
        }
        catch (Exception ex)
        {
            connection?.Fail(ex);
            if (stream is not null)
            {
                try
                {
                    await stream.DisposeAsync().ConfigureAwait(false);
                }
#pragma warning disable CA1031 // a failing close must not hide the connection error being reported
                catch (Exception closeError)
#pragma warning restore CA1031
                {
                    LogCloseFailed(_logger, EndPoint, closeError.Message);
                }
            }

            socket?.Dispose();
            if (cancellationToken.IsCancellationRequested)
            {
                throw new OperationCanceledException(cancellationToken);
            }

            throw ex switch
            {
                _ when timeout.IsCancellationRequested => new RedisConnectionException(
                    $"Connecting to {EndPoint} timed out after {(long)_options.ConnectTimeout.TotalMilliseconds} ms.", ex),
                RedisServerException server => new RedisConnectionException(
                    $"The server at {EndPoint} refused the connection handshake: {server.Message}", server),
                AuthenticationException tls => new RedisConnectionException(
                    $"The TLS handshake with {EndPoint} failed: {tls.Message}", tls),
                RedisConnectionException connectionException => connectionException,
                _ => new RedisConnectionException($"Could not connect to {EndPoint}: {ex.Message}", ex),
            };
        }
    }

    private async Task HandshakeAsync(PhysicalConnection connection, CancellationToken cancellationToken)
    {
        var helloDone = false;
        if (_options.Protocol == RedisProtocol.Resp3)
        {
            var arguments = new List<RedisArgument> { 3 };
            if (_options.Password is not null)
            {
                arguments.Add("AUTH");
                arguments.Add(_options.User ?? "default");
                arguments.Add(_options.Password);
            }

            if (_options.ClientName is not null)
            {
                arguments.Add("SETNAME");
                arguments.Add(_options.ClientName);
            }

            try
            {
                await connection.ExecuteAsync("HELLO", [.. arguments], cancellationToken).ConfigureAwait(false);
                connection.Protocol = 3;
                helloDone = true;
            }
            catch (RedisServerException ex) when (ex.ErrorCode == "NOPROTO" || ex.Message.StartsWith("ERR unknown command", StringComparison.OrdinalIgnoreCase))
            {
                // A server without RESP3 (before Redis 6): carry on with RESP2.
            }
        }

        if (!helloDone)
        {
            if (_options.Password is not null)
            {
                RedisArgument[] auth = _options.User is null ? [_options.Password] : [_options.User, _options.Password];
                await connection.ExecuteAsync("AUTH", auth, cancellationToken).ConfigureAwait(false);
            }

            if (_options.ClientName is not null)
            {
                await connection.ExecuteAsync("CLIENT", ["SETNAME", _options.ClientName], cancellationToken).ConfigureAwait(false);
            }
        }

        if (_options.DefaultDatabase != 0)
        {
            await connection.ExecuteAsync("SELECT", [_options.DefaultDatabase], cancellationToken).ConfigureAwait(false);
        }
    }

    private void OnConnectionFailed(PhysicalConnection connection, Exception reason)
    {
        if (Interlocked.CompareExchange(ref _current, null, connection) != connection || Volatile.Read(ref _disposed) != 0)
        {
            return;
        }

        Volatile.Write(ref _lastError, reason);
        LogConnectionLost(_logger, EndPoint, reason.Message);
        if (Interlocked.Exchange(ref _reconnecting, 1) == 0)
        {
            // A connection that broke before it had been open for the longest back-off delay (a server that accepts and
            // then drops clients, say) continues the back-off sequence; a healthy one that broke is reopened at once.
            var lived = _options.TimeProvider.GetElapsedTime(Volatile.Read(ref _connectedAt));
            Volatile.Write(ref _failureStreak, lived >= _options.ReconnectMaxDelay ? 0 : Volatile.Read(ref _failureStreak) + 1);
            Volatile.Write(ref _connectLoop, Task.Run(ConnectLoopAsync));
        }
    }

    private void OnTick()
    {
        var connection = Volatile.Read(ref _current);
        if (connection is null || connection.IsFailed)
        {
            return;
        }

        if (!connection.SweepTimeouts(_options.CommandTimeout))
        {
            connection.Fail(new RedisConnectionException($"Writing to {EndPoint} stalled for more than {(long)_options.CommandTimeout.TotalMilliseconds} ms."));
            return;
        }

        var time = _options.TimeProvider;
        var now = time.GetTimestamp();
        if (time.GetElapsedTime(connection.LastReadAt, now) >= _options.HeartbeatInterval
            && time.GetElapsedTime(Volatile.Read(ref _lastPingAt), now) >= _options.HeartbeatInterval
            && Interlocked.CompareExchange(ref _pingPending, 1, 0) == 0)
        {
            Volatile.Write(ref _lastPingAt, now);
            _ = HeartbeatAsync(connection);
        }
    }

    private async Task HeartbeatAsync(PhysicalConnection connection)
    {
        try
        {
            await connection.ExecuteAsync("PING", [], CancellationToken.None).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            connection.Fail(new RedisConnectionException($"The heartbeat to {EndPoint} timed out; reconnecting."));
        }
        catch (RedisException)
        {
            // The connection failed for another reason, already handled by OnConnectionFailed.
        }
        finally
        {
            Volatile.Write(ref _pingPending, 0);
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Connected to Redis at {EndPoint} (RESP{Protocol}, subscriber: {Subscriber}) after {Attempts} failed attempts.")]
    private static partial void LogConnected(ILogger logger, string endPoint, int protocol, bool subscriber, int attempts);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Connecting to Redis at {EndPoint} failed (attempt {Attempt}): {Reason}")]
    private static partial void LogConnectFailed(ILogger logger, string endPoint, int attempt, string reason);

    [LoggerMessage(EventId = 4, Level = LogLevel.Debug, Message = "Closing a failed connection attempt to Redis at {EndPoint} failed too: {Reason}")]
    private static partial void LogCloseFailed(ILogger logger, string endPoint, string reason);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "Lost the connection to Redis at {EndPoint}: {Reason}. Reconnecting.")]
    private static partial void LogConnectionLost(ILogger logger, string endPoint, string reason);
}
