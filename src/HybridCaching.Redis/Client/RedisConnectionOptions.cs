using System.Globalization;
using System.Net.Security;
using System.Text;
using Microsoft.Extensions.Logging;

namespace HybridCaching.Redis.Client;

/// <summary>
/// Settings of a <see cref="RedisConnection"/>. Build one in code, or parse a connection string with
/// <see cref="Parse"/>: <c>host:port,password=…,user=…,defaultDatabase=…,ssl=true,sslHost=…,connectTimeout=…,syncTimeout=…,name=…</c>.
/// </summary>
/// <remarks><see cref="ToString"/> renders a connection string with the password masked; the password never
/// appears in logs or exception messages.</remarks>
public sealed class RedisConnectionOptions
{
    private const int DefaultPort = 6379;
    private const string PasswordHint = "note that a password cannot contain ','";
    private string _host = "localhost";
    private int _port = DefaultPort;

    /// <summary>The server's host name or IP address.</summary>
    /// <value>Default <c>localhost</c>.</value>
    public string Host
    {
        get => _host;
        set
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(value);
            _host = value;
        }
    }

    /// <summary>The server's TCP port.</summary>
    /// <value>Default 6379.</value>
    public int Port
    {
        get => _port;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, 65535);
            _port = value;
        }
    }

    /// <summary>The ACL user name; <see langword="null"/> authenticates as <c>default</c> when a <see cref="Password"/> is set.</summary>
    /// <value>Default <see langword="null"/>.</value>
    public string? User { get; set; }

    /// <summary>The password; <see langword="null"/> for none. Never printed.</summary>
    /// <value>Default <see langword="null"/>.</value>
    public string? Password { get; set; }

    /// <summary>The database selected after connecting.</summary>
    /// <value>Default 0.</value>
    public int DefaultDatabase { get; set; }

    /// <summary>Whether to use TLS.</summary>
    /// <value>Default <see langword="false"/>.</value>
    public bool Ssl { get; set; }

    /// <summary>The host name the server's certificate must match; <see langword="null"/> uses <see cref="Host"/>.</summary>
    /// <value>Default <see langword="null"/>.</value>
    public string? SslHost { get; set; }

    /// <summary>Overrides TLS certificate validation (for example, to trust a private CA). When
    /// <see langword="null"/> the platform's validation applies and an untrusted certificate is rejected.</summary>
    /// <value>Default <see langword="null"/>.</value>
    public RemoteCertificateValidationCallback? CertificateValidation { get; set; }

    /// <summary>How long opening a connection (TCP, TLS and the handshake) may take.</summary>
    /// <value>Default 5 seconds.</value>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a command may wait for its reply before it fails with <see cref="TimeoutException"/>
    /// (the connection string's <c>syncTimeout</c>).</summary>
    /// <value>Default 5 seconds.</value>
    public TimeSpan CommandTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The name given to the connection with <c>CLIENT SETNAME</c>; <see langword="null"/> for none.</summary>
    /// <value>Default <see langword="null"/>.</value>
    public string? ClientName { get; set; }

    /// <summary>The protocol version to ask for.</summary>
    /// <value>Default <see cref="RedisProtocol.Resp3"/> (falls back to RESP2 on servers without <c>HELLO</c>).</value>
    public RedisProtocol Protocol { get; set; } = RedisProtocol.Resp3;

    /// <summary>How often an idle connection is checked with <c>PING</c>; a heartbeat that fails closes and reopens the connection.</summary>
    /// <value>Default 2 seconds.</value>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>The first reconnect delay; each failed attempt doubles it (with random jitter) up to <see cref="ReconnectMaxDelay"/>.</summary>
    /// <value>Default 100 milliseconds.</value>
    public TimeSpan ReconnectMinDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>The longest delay between reconnect attempts.</summary>
    /// <value>Default 5 seconds.</value>
    public TimeSpan ReconnectMaxDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Where connection events (lost, restored, reconnect failures) are logged; <see langword="null"/> for nowhere.</summary>
    /// <value>Default <see langword="null"/>.</value>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>The clock for timeouts, heartbeats and reconnect delays.</summary>
    /// <value>Default <see cref="TimeProvider.System"/>.</value>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>The endpoint as <c>host:port</c>.</summary>
    public string EndPoint => Host.Contains(':', StringComparison.Ordinal)
        ? $"[{Host}]:{Port.ToString(CultureInfo.InvariantCulture)}"
        : $"{Host}:{Port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>
    /// Parses a connection string: an endpoint (<c>host</c>, <c>host:port</c> or <c>[ipv6]:port</c>) and
    /// comma-separated <c>key=value</c> settings. Keys (case-insensitive): <c>password</c>, <c>user</c>,
    /// <c>defaultDatabase</c>, <c>ssl</c>, <c>sslHost</c>, <c>connectTimeout</c> (ms), <c>syncTimeout</c> (ms),
    /// <c>name</c>, <c>protocol</c> (<c>resp2</c>/<c>resp3</c>), <c>keepAlive</c> (heartbeat, s); <c>abortConnect</c>
    /// is accepted and ignored (this client never aborts: it keeps reconnecting). Values cannot contain <c>,</c>.
    /// </summary>
    /// <param name="connectionString">The connection string.</param>
    /// <returns>The options.</returns>
    /// <exception cref="ArgumentException">The string is empty, names more than one endpoint, or holds an unknown key
    /// or an invalid value. The message never shows a value, and names the key only when the string holds no
    /// <c>password</c> (a password containing <c>,</c> is cut into pieces that look like further settings, whose
    /// names are then part of the password).</exception>
    public static RedisConnectionOptions Parse(string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        var options = new RedisConnectionOptions();
        var holdsPassword = HoldsPassword(connectionString);
        var sawEndPoint = false;
        foreach (var raw in connectionString.Split(','))
        {
            var token = raw.Trim();
            if (token.Length == 0)
            {
                continue;
            }

            var equals = token.IndexOf('=', StringComparison.Ordinal);
            if (equals < 0)
            {
                if (sawEndPoint)
                {
                    throw new ArgumentException(
                        "The connection string names more than one endpoint; this client connects to one server"
                        + (holdsPassword ? $" ({PasswordHint})." : "."),
                        nameof(connectionString));
                }

                ParseEndPoint(options, token, connectionString);
                sawEndPoint = true;
                continue;
            }

            var key = token[..equals].Trim();
            var value = token[(equals + 1)..].Trim();
            ApplySetting(options, key, value, holdsPassword);
        }

        if (!sawEndPoint)
        {
            throw new ArgumentException("The connection string names no endpoint (host:port).", nameof(connectionString));
        }

        return options;
    }

    /// <summary>Renders the options as a connection string with the password masked.</summary>
    /// <returns>The connection string.</returns>
    public override string ToString()
    {
        var builder = new StringBuilder(EndPoint);
        if (User is not null)
        {
            builder.Append(",user=").Append(User);
        }

        if (Password is not null)
        {
            builder.Append(",password=*****");
        }

        if (DefaultDatabase != 0)
        {
            builder.Append(",defaultDatabase=").Append(DefaultDatabase.ToString(CultureInfo.InvariantCulture));
        }

        if (Ssl)
        {
            builder.Append(",ssl=true");
        }

        if (SslHost is not null)
        {
            builder.Append(",sslHost=").Append(SslHost);
        }

        if (ClientName is not null)
        {
            builder.Append(",name=").Append(ClientName);
        }

        builder.Append(",connectTimeout=").Append(((long)ConnectTimeout.TotalMilliseconds).ToString(CultureInfo.InvariantCulture));
        builder.Append(",syncTimeout=").Append(((long)CommandTimeout.TotalMilliseconds).ToString(CultureInfo.InvariantCulture));
        if (Protocol != RedisProtocol.Resp3)
        {
            builder.Append(",protocol=resp2");
        }

        return builder.ToString();
    }

    /// <summary>Copies the options, so a connection is not affected by later changes to the caller's instance.</summary>
    internal RedisConnectionOptions Clone() => (RedisConnectionOptions)MemberwiseClone();

    /// <summary>Checks the settings that have no setter validation.</summary>
    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegative(DefaultDatabase, nameof(DefaultDatabase));
        CacheArgument.ThrowIfNotPositive(ConnectTimeout, nameof(ConnectTimeout));
        CacheArgument.ThrowIfNotPositive(CommandTimeout, nameof(CommandTimeout));
        CacheArgument.ThrowIfNotPositive(HeartbeatInterval, nameof(HeartbeatInterval));
        CacheArgument.ThrowIfNotPositive(ReconnectMinDelay, nameof(ReconnectMinDelay));
        if (ReconnectMaxDelay < ReconnectMinDelay)
        {
            throw new ArgumentOutOfRangeException(nameof(ReconnectMaxDelay), ReconnectMaxDelay, "ReconnectMaxDelay must not be less than ReconnectMinDelay.");
        }

        ArgumentNullException.ThrowIfNull(TimeProvider);
    }

    private static void ParseEndPoint(RedisConnectionOptions options, string token, string connectionString)
    {
        string host;
        string? port = null;
        if (token.StartsWith('['))
        {
            var close = token.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                throw new ArgumentException("Invalid IPv6 endpoint in the connection string.", nameof(connectionString));
            }

            host = token[1..close];
            if (close + 1 < token.Length)
            {
                if (token[close + 1] != ':')
                {
                    throw new ArgumentException("Invalid IPv6 endpoint in the connection string.", nameof(connectionString));
                }

                port = token[(close + 2)..];
            }
        }
        else
        {
            var colon = token.LastIndexOf(':');
            host = colon < 0 ? token : token[..colon];
            port = colon < 0 ? null : token[(colon + 1)..];
        }

        if (string.IsNullOrWhiteSpace(host))
        {
            throw new ArgumentException("The connection string's endpoint has no host.", nameof(connectionString));
        }

        options.Host = host;
        if (port is not null)
        {
            if (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number is < 1 or > 65535)
            {
                throw new ArgumentException("Invalid port in the connection string.", nameof(connectionString));
            }

            options.Port = number;
        }
    }

    /// <summary>Whether any setting of the string is a <c>password</c>: its errors must then show no part of it.</summary>
    private static bool HoldsPassword(string connectionString)
    {
        foreach (var raw in connectionString.Split(','))
        {
            var equals = raw.IndexOf('=', StringComparison.Ordinal);
            if (equals >= 0 && raw.AsSpan(0, equals).Trim().Equals("password", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    private static void ApplySetting(RedisConnectionOptions options, string key, string value, bool holdsPassword)
    {
        switch (key.ToLowerInvariant())
        {
            case "password":
                options.Password = value;
                break;
            case "user":
                options.User = value;
                break;
            case "defaultdatabase":
                options.DefaultDatabase = ParseInt(key, value, 0, holdsPassword);
                break;
            case "ssl":
                options.Ssl = ParseBool(key, value, holdsPassword);
                break;
            case "sslhost":
                options.SslHost = value;
                break;
            case "connecttimeout":
                options.ConnectTimeout = TimeSpan.FromMilliseconds(ParseInt(key, value, 1, holdsPassword));
                break;
            case "synctimeout":
            case "asynctimeout":
                options.CommandTimeout = TimeSpan.FromMilliseconds(ParseInt(key, value, 1, holdsPassword));
                break;
            case "name":
                options.ClientName = value;
                break;
            case "keepalive":
                options.HeartbeatInterval = TimeSpan.FromSeconds(ParseInt(key, value, 1, holdsPassword));
                break;
            case "protocol":
                options.Protocol = value.ToLowerInvariant() switch
                {
                    "resp2" or "2" => RedisProtocol.Resp2,
                    "resp3" or "3" => RedisProtocol.Resp3,
                    _ => throw InvalidValue(key, holdsPassword),
                };
                break;
            case "abortconnect":
                _ = ParseBool(key, value, holdsPassword);
                break;
            default:
                throw new ArgumentException(
                    holdsPassword
                        ? $"Unknown connection string setting (not named because the string contains a password; {PasswordHint})."
                        : $"Unknown connection string setting '{key}'.",
                    "connectionString");
        }
    }

    private static int ParseInt(string key, string value, int min, bool holdsPassword)
        => int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number) && number >= min
            ? number
            : throw InvalidValue(key, holdsPassword);

    private static bool ParseBool(string key, string value, bool holdsPassword)
        => bool.TryParse(value, out var flag) ? flag : throw InvalidValue(key, holdsPassword);

    // The key may be a piece of a password that holds ',' (and the value always may be): never shown with a password.
    private static ArgumentException InvalidValue(string key, bool holdsPassword)
        => new(
            holdsPassword
                ? $"Invalid value for a connection string setting (not named because the string contains a password; {PasswordHint})."
                : $"Invalid value for connection string setting '{key}'.",
            "connectionString");
}
