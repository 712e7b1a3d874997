namespace HybridCaching.Testing.Redis;

/// <summary>How <see cref="RedisServerFixture"/> starts its <c>redis-server</c>.</summary>
public sealed class RedisServerOptions
{
    /// <summary>Serve TLS only (<c>--port 0 --tls-port …</c>) with these PEM files; <see langword="null"/> for plain TCP.</summary>
    public RedisTlsFiles? Tls { get; init; }

    /// <summary>More <c>--name value</c> arguments for the server.</summary>
    public IReadOnlyList<string> ExtraArguments { get; init; } = [];

    /// <summary>Always start a private server, even when <c>HYBRIDCACHING_TEST_REDIS</c> names an external one
    /// (needed by tests that kill, restart or reconfigure the server).</summary>
    public bool Private { get; init; }
}

/// <summary>PEM files for a TLS server.</summary>
/// <param name="CertificateFile">The server certificate (<c>tls-cert-file</c>).</param>
/// <param name="KeyFile">Its private key (<c>tls-key-file</c>).</param>
/// <param name="CaCertificateFile">The CA certificate (<c>tls-ca-cert-file</c>).</param>
public sealed record RedisTlsFiles(string CertificateFile, string KeyFile, string CaCertificateFile);
