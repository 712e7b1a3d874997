using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace HybridCaching.Redis.Client;

/// <summary>
/// A multiplexed connection to one Redis server: every concurrent caller shares one socket; commands are queued,
/// written in batches and their replies matched in order by a single reader. Reconnects by itself after a failure
/// (exponential back-off with jitter); meanwhile commands fail fast with <see cref="RedisConnectionException"/>.
/// </summary>
/// <remarks>
/// Two commands issued one after the other without awaiting the first are pipelined: they are written in that order,
/// usually in the same batch, and cost one round trip. Pub/sub uses a second connection, opened on first use of
/// <see cref="Subscriber"/>.
/// </remarks>
[DebuggerDisplay("{ToString(),nq}")]
public sealed class RedisConnection : IAsyncDisposable
{
    private readonly RedisConnectionOptions _options;
    private readonly ManagedConnection _connection;
    private readonly ILogger _logger;
    private readonly Lazy<RedisSubscriber> _subscriber;
    private int _disposed;

    private RedisConnection(RedisConnectionOptions options)
    {
        _options = options;
        _logger = options.LoggerFactory?.CreateLogger("HybridCaching.Redis.RedisConnection") ?? NullLogger.Instance;
        _connection = new ManagedConnection(options, subscriber: false, _logger);
        _subscriber = new Lazy<RedisSubscriber>(() => new RedisSubscriber(_options, _logger), LazyThreadSafetyMode.ExecutionAndPublication);
        _connection.Start();
    }

    /// <summary>The server's endpoint, <c>host:port</c>.</summary>
    public string EndPoint => _options.EndPoint;

    /// <summary>Whether the connection is open right now.</summary>
    public bool IsConnected => _connection.IsConnected;

    /// <summary>The protocol the server agreed to (<see cref="RedisProtocol.Resp3"/> after a successful <c>HELLO 3</c>);
    /// <see langword="null"/> while not connected.</summary>
    public RedisProtocol? Protocol => _connection.Protocol switch
    {
        3 => RedisProtocol.Resp3,
        2 => RedisProtocol.Resp2,
        _ => null,
    };

    /// <summary>The pub/sub side of this connection (its own socket, opened on first use).</summary>
    public RedisSubscriber Subscriber
    {
        get
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            return _subscriber.Value;
        }
    }

    /// <summary>The options this connection runs with (a copy taken when it was created).</summary>
    internal RedisConnectionOptions Options => _options;

    /// <summary>
    /// Creates a connection and starts connecting in the background; never throws because the server is down.
    /// Commands sent before the first attempt finishes wait for it; after that they fail fast while disconnected.
    /// </summary>
    /// <param name="options">The settings (copied).</param>
    /// <returns>The connection.</returns>
    public static RedisConnection Create(RedisConnectionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var copy = options.Clone();
        copy.Validate();
        return new RedisConnection(copy);
    }

    /// <summary>Creates a connection from a connection string (see <see cref="RedisConnectionOptions.Parse"/>).</summary>
    /// <param name="connectionString">The connection string.</param>
    /// <returns>The connection.</returns>
    public static RedisConnection Create(string connectionString) => Create(RedisConnectionOptions.Parse(connectionString));

    /// <summary>Creates a connection and waits until it is open.</summary>
    /// <param name="options">The settings (copied).</param>
    /// <param name="cancellationToken">Cancels the wait (the connection is then disposed).</param>
    /// <returns>The open connection.</returns>
    /// <exception cref="RedisConnectionException">The first attempt failed (unreachable server, TLS or authentication failure); the
    /// message says why and never contains the password.</exception>
    public static async Task<RedisConnection> ConnectAsync(RedisConnectionOptions options, CancellationToken cancellationToken = default)
    {
        var connection = Create(options);
        try
        {
            await connection._connection.FirstAttempt.WaitAsync(cancellationToken).ConfigureAwait(false);
            if (!connection.IsConnected)
            {
                var error = connection._connection.LastError;
                throw error as RedisConnectionException
                    ?? new RedisConnectionException($"Could not connect to {connection.EndPoint}.", error);
            }

            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Sends a command and returns its reply.</summary>
    /// <param name="command">The command name, e.g. <c>GET</c> (or a multi-word command's first word).</param>
    /// <param name="arguments">The arguments.</param>
    /// <returns>The reply.</returns>
    /// <exception cref="RedisServerException">The server answered with an error.</exception>
    /// <exception cref="RedisConnectionException">Not connected, or the connection broke before the reply came.</exception>
    /// <exception cref="TimeoutException">No reply within <see cref="RedisConnectionOptions.CommandTimeout"/>.</exception>
    public Task<RedisReply> ExecuteAsync(string command, params RedisArgument[] arguments)
        => ExecuteAsync(command, arguments, CancellationToken.None);

    /// <summary>Sends a command and returns its reply; <paramref name="cancellationToken"/> abandons the wait (the command
    /// may still run on the server).</summary>
    /// <param name="command">The command name.</param>
    /// <param name="arguments">The arguments (not copied: do not change the array until the task completes).</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The reply.</returns>
    /// <exception cref="RedisServerException">The server answered with an error.</exception>
    /// <exception cref="RedisConnectionException">Not connected, or the connection broke before the reply came.</exception>
    /// <exception cref="TimeoutException">No reply within <see cref="RedisConnectionOptions.CommandTimeout"/>.</exception>
    public Task<RedisReply> ExecuteAsync(string command, RedisArgument[] arguments, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(command);
        ArgumentNullException.ThrowIfNull(arguments);
        return _connection.ExecuteAsync(command, arguments, cancellationToken);
    }

    /// <summary>Closes both connections; pending commands fail with <see cref="RedisConnectionException"/>.</summary>
    /// <returns>A task that completes when closed.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _connection.DisposeAsync().ConfigureAwait(false);
        if (_subscriber.IsValueCreated)
        {
            await _subscriber.Value.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Describes the connection (endpoint and state; never the password).</summary>
    /// <returns>The text.</returns>
    public override string ToString() => $"RedisConnection {EndPoint} ({(IsConnected ? "connected" : "disconnected")})";
}
