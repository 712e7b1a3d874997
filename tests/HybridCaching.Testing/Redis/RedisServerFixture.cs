using System.Globalization;
using Testcontainers.Redis;

namespace HybridCaching.Testing.Redis;

/// <summary>
/// Starts a real <c>redis-server</c> (from PATH) on a free loopback port with persistence off, and kills it when
/// disposed. Use it as an xunit class or collection fixture.
/// </summary>
/// <remarks>
/// <para>Set <c>HYBRIDCACHING_TEST_REDIS=host:port</c> to run against an existing server instead (tests that need to
/// kill or reconfigure the server still start a private one, see <see cref="RedisServerOptions.Private"/>).</para>
/// <para>When <c>redis-server</c> is not installed but a Docker engine answers (outside CI), the server is a
/// <c>redis:7.0</c> container started with Testcontainers.Redis instead; it cannot be killed, paused or restarted, and
/// TLS options are not supported there. Otherwise (and always when <c>CI=true</c>) <see cref="InitializeAsync"/> fails
/// with a message saying so (xunit 2 cannot skip at run time; a silently skipped integration suite would hide a broken
/// CI machine). Install it with <c>apt-get install redis-server</c>, or point the variable at a server.</para>
/// </remarks>
public class RedisServerFixture : IAsyncLifetime
{
    /// <summary>The environment variable naming an existing server (<c>host:port</c>).</summary>
    public const string ExternalServerVariable = "HYBRIDCACHING_TEST_REDIS";

    /// <summary>The image the Docker fallback runs.</summary>
    public const string ContainerImage = "redis:7.0";

    private readonly RedisServerOptions _options;
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "hc-redis-" + Guid.NewGuid().ToString("N"));
    private RedisProcess? _process;
    private RedisContainer? _container;

    /// <summary>A fixture with the default options.</summary>
    public RedisServerFixture()
        : this(new RedisServerOptions())
    {
    }

    /// <summary>A fixture with the given options (for derived fixtures: xunit wants one public constructor).</summary>
    /// <param name="options">How to start the server.</param>
    protected RedisServerFixture(RedisServerOptions options) => _options = options;

    /// <summary>Starts a server outside xunit's fixture lifecycle (dispose it when done).</summary>
    /// <param name="options">How to start the server.</param>
    /// <returns>The running server.</returns>
    public static async Task<RedisServerFixture> StartAsync(RedisServerOptions options)
    {
        var fixture = new RedisServerFixture(options);
        try
        {
            await fixture.InitializeAsync().ConfigureAwait(false);
            return fixture;
        }
        catch
        {
            await fixture.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The server's host.</summary>
    public string Host { get; private set; } = "127.0.0.1";

    /// <summary>The server's port (the TLS port for a TLS server).</summary>
    public int Port { get; private set; }

    /// <summary><c>host:port</c>.</summary>
    public string EndPoint => $"{Host}:{Port}";

    /// <summary>Whether the server is an external one (<see cref="ExternalServerVariable"/>): it cannot be killed or restarted.</summary>
    public bool IsExternal { get; private set; }

    /// <summary>Whether the fixture's own server process is running.</summary>
    public bool IsRunning => _process is { IsRunning: true };

    /// <summary>The id of the fixture's own server process while it runs.</summary>
    public int? ProcessId => _process?.ProcessId;

    /// <summary>The server's working directory (a unique temp folder, deleted on dispose).</summary>
    public string WorkingDirectory => _directory;

    /// <summary>Whether the server runs in a Docker container (Testcontainers fallback): it cannot be killed, paused or restarted.</summary>
    public bool IsContainer => _container is not null;

    /// <summary>The server's output so far (for diagnostics).</summary>
    public string ServerLog => _process?.Log ?? string.Empty;

    /// <summary>Starts the server (or checks the external one answers).</summary>
    /// <returns>A task that completes when the server accepts connections.</returns>
    public async Task InitializeAsync()
    {
        var external = Environment.GetEnvironmentVariable(ExternalServerVariable);
        if (!string.IsNullOrWhiteSpace(external) && !_options.Private && _options.Tls is null)
        {
            var colon = external.LastIndexOf(':');
            Host = colon < 0 ? external : external[..colon];
            Port = colon < 0 ? 6379 : int.Parse(external[(colon + 1)..], CultureInfo.InvariantCulture);
            IsExternal = true;
            await RedisProcess.WaitForPortAsync(Host, Port, TimeSpan.FromSeconds(5)).ConfigureAwait(false);
            return;
        }

        if (FindServer() is null)
        {
            if (_options.Tls is null && Environment.GetEnvironmentVariable("CI") != "true" && DockerEngineAnswers())
            {
                await StartContainerAsync().ConfigureAwait(false);
                return;
            }

            throw new InvalidOperationException(
                "redis-server is not on PATH: the Redis integration tests need it (apt-get install redis-server), "
                + $"or set {ExternalServerVariable}=host:port to use an existing server"
                + " (outside CI a running Docker engine is used instead).");
        }

        Directory.CreateDirectory(_directory);
        Port = RedisProcess.FreePort();
        _process = new RedisProcess(Port, _directory, Arguments().ToList());
        await _process.StartAsync().ConfigureAwait(false);
    }

    /// <summary>Kills the server with SIGKILL (no shutdown, no goodbye to clients) and waits until it is gone.</summary>
    /// <returns>A task that completes when the process has exited.</returns>
    public Task KillAsync() => OwnProcess().KillAsync();

    /// <summary>Stops the server with SIGSTOP: connections stay open and new ones are accepted by the kernel, but
    /// nothing answers (a hung Redis). <see cref="ResumeAsync"/> or <see cref="KillAsync"/> ends it.</summary>
    /// <returns>A task that completes when the signal was sent.</returns>
    public Task PauseAsync() => OwnProcess().PauseAsync();

    /// <summary>Lets a server stopped by <see cref="PauseAsync"/> run again (SIGCONT).</summary>
    /// <returns>A task that completes when the signal was sent.</returns>
    public Task ResumeAsync() => OwnProcess().ResumeAsync();

    /// <summary>Starts the server again on the same port (after <see cref="KillAsync"/>).</summary>
    /// <returns>A task that completes when it accepts connections.</returns>
    public async Task RestartAsync()
    {
        var process = OwnProcess();
        await process.KillAsync().ConfigureAwait(false);
        await process.StartAsync().ConfigureAwait(false);
    }

    /// <summary>Kills the server (or the container) and deletes its working directory.</summary>
    /// <returns>A task that completes when done.</returns>
    public async Task DisposeAsync()
    {
        if (_process is not null)
        {
            await _process.DisposeAsync().ConfigureAwait(false);
        }

        if (_container is not null)
        {
            await _container.DisposeAsync().ConfigureAwait(false);
        }

        DeleteDirectory(_directory);
        GC.SuppressFinalize(this);
    }

    /// <summary>The path of <c>redis-server</c> on PATH, or <see langword="null"/>.</summary>
    /// <returns>The path, or <see langword="null"/>.</returns>
    public static string? FindServer() => RedisProcess.FindServer();

    /// <summary>Deletes a fixture's temporary folder, best effort.</summary>
    /// <param name="directory">The folder.</param>
    internal static void DeleteDirectory(string directory)
    {
        try
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
        catch (IOException)
        {
            // Best effort: it is under the temp folder.
        }
    }

    private RedisProcess OwnProcess()
    {
        if (IsExternal)
        {
            throw new InvalidOperationException($"The server named by {ExternalServerVariable} cannot be killed, paused or restarted; use RedisServerOptions.Private.");
        }

        return _process ?? throw new InvalidOperationException("This server runs in a Docker container (Testcontainers fallback): it cannot be killed, paused or restarted.");
    }

    private static bool DockerEngineAnswers()
    {
        var host = Environment.GetEnvironmentVariable("DOCKER_HOST");
        return !string.IsNullOrEmpty(host) || File.Exists("/var/run/docker.sock") || OperatingSystem.IsWindows();
    }

    private async Task StartContainerAsync()
    {
        // Testcontainers checks the engine itself and fails with its own message when it does not answer.
        var container = new RedisBuilder(ContainerImage).Build();
        _container = container;
        await container.StartAsync().ConfigureAwait(false);
        Host = container.Hostname;
        Port = container.GetMappedPublicPort(RedisBuilder.RedisPort);
    }

    private IEnumerable<string> Arguments()
    {
        yield return "--bind";
        yield return "127.0.0.1";
        yield return "--save";
        yield return string.Empty;
        yield return "--appendonly";
        yield return "no";
        yield return "--dir";
        yield return _directory;
        yield return "--protected-mode";
        yield return "no";
        if (_options.Tls is { } tls)
        {
            yield return "--port";
            yield return "0";
            yield return "--tls-port";
            yield return Port.ToString(CultureInfo.InvariantCulture);
            yield return "--tls-cert-file";
            yield return tls.CertificateFile;
            yield return "--tls-key-file";
            yield return tls.KeyFile;
            yield return "--tls-ca-cert-file";
            yield return tls.CaCertificateFile;
            yield return "--tls-auth-clients";
            yield return "no";
        }
        else
        {
            yield return "--port";
            yield return Port.ToString(CultureInfo.InvariantCulture);
        }

        foreach (var argument in _options.ExtraArguments)
        {
            yield return argument;
        }
    }
}
