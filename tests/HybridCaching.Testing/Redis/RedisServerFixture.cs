using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace HybridCaching.Testing.Redis;

/// <summary>
/// Starts a real <c>redis-server</c> (from PATH) on a free loopback port with persistence off, and kills it when
/// disposed. Use it as an xunit class or collection fixture.
/// </summary>
/// <remarks>
/// <para>Set <c>HYBRIDCACHING_TEST_REDIS=host:port</c> to run against an existing server instead (tests that need to
/// kill or reconfigure the server still start a private one, see <see cref="RedisServerOptions.Private"/>).</para>
/// <para>When <c>redis-server</c> is not installed, <see cref="InitializeAsync"/> fails with a message saying so,
/// locally and in CI alike (xunit 2 cannot skip at run time; a silently skipped integration suite would hide a broken
/// CI machine). Install it with <c>apt-get install redis-server</c>, or point the variable at a server.</para>
/// </remarks>
public class RedisServerFixture : IAsyncLifetime
{
    /// <summary>The environment variable naming an existing server (<c>host:port</c>).</summary>
    public const string ExternalServerVariable = "HYBRIDCACHING_TEST_REDIS";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(15);
    private readonly RedisServerOptions _options;
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "hc-redis-" + Guid.NewGuid().ToString("N"));
    private Process? _process;
    private readonly StringBuilder _log = new();

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
    public bool IsRunning => _process is { HasExited: false };

    /// <summary>The server's output so far (for diagnostics).</summary>
    public string ServerLog
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    /// <summary>Starts the server (or checks the external one answers).</summary>
    /// <returns>A task that completes when the server accepts connections.</returns>
    public async Task InitializeAsync()
    {
        var external = Environment.GetEnvironmentVariable(ExternalServerVariable);
        if (!string.IsNullOrWhiteSpace(external) && !_options.Private && _options.Tls is null)
        {
            var colon = external.LastIndexOf(':');
            Host = colon < 0 ? external : external[..colon];
            Port = colon < 0 ? 6379 : int.Parse(external[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture);
            IsExternal = true;
            await WaitForPortAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
            return;
        }

        if (FindServer() is null)
        {
            throw new InvalidOperationException(
                "redis-server is not on PATH: the Redis integration tests need it (apt-get install redis-server), "
                + $"or set {ExternalServerVariable}=host:port to use an existing server.");
        }

        Directory.CreateDirectory(_directory);
        Port = FreePort();
        await StartAsync().ConfigureAwait(false);
    }

    /// <summary>Kills the server with SIGKILL (no shutdown, no goodbye to clients) and waits until it is gone.</summary>
    /// <returns>A task that completes when the process has exited.</returns>
    public async Task KillAsync()
    {
        ThrowIfExternal();
        if (_process is { } process && !process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Starts the server again on the same port (after <see cref="KillAsync"/>).</summary>
    /// <returns>A task that completes when it accepts connections.</returns>
    public async Task RestartAsync()
    {
        ThrowIfExternal();
        await KillAsync().ConfigureAwait(false);
        await StartAsync().ConfigureAwait(false);
    }

    /// <summary>Stops the server with SIGSTOP: its sockets stay open and nothing is answered (a hung server) until
    /// <see cref="ResumeAsync"/>.</summary>
    /// <returns>A task that completes when the signal was sent.</returns>
    public Task PauseAsync() => SignalAsync("STOP");

    /// <summary>Lets a server stopped by <see cref="PauseAsync"/> run again (SIGCONT).</summary>
    /// <returns>A task that completes when the signal was sent.</returns>
    public Task ResumeAsync() => SignalAsync("CONT");

    /// <summary>Kills the server and deletes its working directory.</summary>
    /// <returns>A task that completes when done.</returns>
    public async Task DisposeAsync()
    {
        if (!IsExternal)
        {
            await KillAsync().ConfigureAwait(false);
            _process?.Dispose();
            try
            {
                Directory.Delete(_directory, recursive: true);
            }
            catch (IOException)
            {
                // Best effort: it is under the temp folder.
            }
        }

        GC.SuppressFinalize(this);
    }

    /// <summary>The path of <c>redis-server</c> on PATH, or <see langword="null"/>.</summary>
    /// <returns>The path, or <see langword="null"/>.</returns>
    public static string? FindServer() => (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
        .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
        .Select(directory => Path.Combine(directory, "redis-server"))
        .FirstOrDefault(File.Exists);

    private async Task SignalAsync(string signal)
    {
        ThrowIfExternal();
        var process = _process ?? throw new InvalidOperationException("The server is not running.");
        var info = new ProcessStartInfo("kill") { UseShellExecute = false, RedirectStandardError = true };
        info.ArgumentList.Add("-" + signal);
        info.ArgumentList.Add(process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var kill = Process.Start(info) ?? throw new InvalidOperationException("Could not start kill.");
        var error = await kill.StandardError.ReadToEndAsync().ConfigureAwait(false);
        await kill.WaitForExitAsync().ConfigureAwait(false);
        if (kill.ExitCode != 0)
        {
            throw new InvalidOperationException($"kill -{signal} {process.Id} failed: {error}");
        }
    }

    private void ThrowIfExternal()
    {
        if (IsExternal)
        {
            throw new InvalidOperationException($"The server named by {ExternalServerVariable} cannot be killed or restarted; use RedisServerOptions.Private.");
        }
    }

    private async Task StartAsync()
    {
        var info = new ProcessStartInfo(FindServer()!)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = _directory,
        };
        foreach (var argument in Arguments())
        {
            info.ArgumentList.Add(argument);
        }

        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => OnOutput(e.Data, ready);
        process.ErrorDataReceived += (_, e) => OnOutput(e.Data, ready);
        process.Exited += (_, _) => ready.TrySetException(new InvalidOperationException($"redis-server exited during start-up:\n{ServerLog}"));
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        try
        {
            await ready.Task.WaitAsync(StartTimeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new InvalidOperationException($"redis-server did not become ready within {StartTimeout.TotalSeconds} s:\n{ServerLog}");
        }

        await WaitForPortAsync(StartTimeout).ConfigureAwait(false);
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
            yield return Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
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
            yield return Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        foreach (var argument in _options.ExtraArguments)
        {
            yield return argument;
        }
    }

    private void OnOutput(string? line, TaskCompletionSource ready)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            _log.AppendLine(line);
        }

        if (line.Contains("Ready to accept connections", StringComparison.Ordinal))
        {
            ready.TrySetResult();
        }
    }

    private async Task WaitForPortAsync(TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(Host, Port).ConfigureAwait(false);
                return;
            }
            catch (SocketException) when (deadline.Elapsed < timeout)
            {
                await Task.Delay(20).ConfigureAwait(false);
            }
            catch (SocketException ex)
            {
                throw new InvalidOperationException($"No Redis server answers at {EndPoint}.", ex);
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
