using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace HybridCaching.Testing.Redis;

/// <summary>
/// One <c>redis-server</c> process (plain server, cluster node or sentinel) on a loopback port: start, SIGKILL, SIGSTOP,
/// SIGCONT, restart with the same arguments. The building block of the Redis fixtures.
/// </summary>
/// <remarks>
/// Each started process gets a watchdog (<c>sh</c>) that SIGKILLs it when the test host dies without disposing it
/// (crash, hang timeout), so no <c>redis-server</c> outlives the test run.
/// </remarks>
public sealed class RedisProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(15);
    private readonly IReadOnlyList<string> _arguments;
    private readonly string _directory;
    private readonly StringBuilder _log = new();
    private Process? _process;

    /// <summary>Describes a process; call <see cref="StartAsync"/> to run it.</summary>
    /// <param name="port">The loopback port it listens on.</param>
    /// <param name="directory">Its working directory (must exist).</param>
    /// <param name="arguments">Its command line (a config file and/or <c>--name value</c> pairs).</param>
    public RedisProcess(int port, string directory, IReadOnlyList<string> arguments)
    {
        Port = port;
        _directory = directory;
        _arguments = arguments;
    }

    /// <summary>The loopback port.</summary>
    public int Port { get; }

    /// <summary><c>127.0.0.1:port</c>.</summary>
    public string EndPoint => $"127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Whether the process is running (a paused process is running).</summary>
    public bool IsRunning => _process is { HasExited: false };

    /// <summary>Whether the process is stopped with SIGSTOP.</summary>
    public bool IsPaused { get; private set; }

    /// <summary>The process id while running.</summary>
    public int? ProcessId => IsRunning ? _process!.Id : null;

    /// <summary>The server's output so far (for diagnostics).</summary>
    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    /// <summary>The path of <c>redis-server</c> on PATH, or <see langword="null"/>.</summary>
    /// <returns>The path, or <see langword="null"/>.</returns>
    public static string? FindServer() => FindOnPath("redis-server");

    /// <summary>The path of <paramref name="program"/> on PATH, or <see langword="null"/>.</summary>
    /// <param name="program">A file name.</param>
    /// <returns>The path, or <see langword="null"/>.</returns>
    public static string? FindOnPath(string program) => (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
        .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
        .Select(directory => Path.Combine(directory, program))
        .FirstOrDefault(File.Exists);

    /// <summary>A loopback TCP port that was free a moment ago.</summary>
    /// <returns>The port.</returns>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Distinct free loopback ports.</summary>
    /// <param name="count">How many.</param>
    /// <returns>The ports.</returns>
    public static IReadOnlyList<int> FreePorts(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        try
        {
            listeners.ForEach(l => l.Start());
            return listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToList();
        }
        finally
        {
            listeners.ForEach(l => l.Stop());
        }
    }

    /// <summary>Starts the process (again) and waits until it accepts connections.</summary>
    /// <returns>A task that completes when the server is ready.</returns>
    public async Task StartAsync()
    {
        if (IsRunning)
        {
            throw new InvalidOperationException($"redis-server on {EndPoint} is already running.");
        }

        var server = FindServer() ?? throw new InvalidOperationException("redis-server is not on PATH (apt-get install redis-server).");
        var info = new ProcessStartInfo(server)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = _directory,
        };
        foreach (var argument in _arguments)
        {
            info.ArgumentList.Add(argument);
        }

        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => OnOutput(e.Data, ready);
        process.ErrorDataReceived += (_, e) => OnOutput(e.Data, ready);
        process.Exited += (_, _) => ready.TrySetException(new InvalidOperationException($"redis-server on {EndPoint} exited during start-up:\n{Log}"));
        _process?.Dispose();
        process.Start();
        _process = process;
        IsPaused = false;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        StartWatchdog(process.Id);
        try
        {
            await ready.Task.WaitAsync(StartTimeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new InvalidOperationException($"redis-server on {EndPoint} did not become ready within {StartTimeout.TotalSeconds} s:\n{Log}");
        }

        await WaitForPortAsync("127.0.0.1", Port, StartTimeout).ConfigureAwait(false);
    }

    /// <summary>SIGKILL (no shutdown, no goodbye to clients); waits until the process is gone.</summary>
    /// <returns>A task that completes when the process has exited.</returns>
    public async Task KillAsync()
    {
        if (_process is { } process && !process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync().ConfigureAwait(false);
        }

        IsPaused = false;
    }

    /// <summary>SIGSTOP: the socket stays open and the kernel still accepts connections, but nothing answers.</summary>
    /// <returns>A task that completes when the signal was sent.</returns>
    public Task PauseAsync() => SignalAsync("STOP", paused: true);

    /// <summary>SIGCONT after <see cref="PauseAsync"/>.</summary>
    /// <returns>A task that completes when the signal was sent.</returns>
    public Task ResumeAsync() => SignalAsync("CONT", paused: false);

    /// <summary>Kills the process (resuming it first if paused).</summary>
    /// <returns>A task that completes when it has exited.</returns>
    public async ValueTask DisposeAsync()
    {
        await KillAsync().ConfigureAwait(false);
        _process?.Dispose();
        _process = null;
    }

    /// <summary>Waits until something accepts TCP connections on the port.</summary>
    /// <param name="host">The host.</param>
    /// <param name="port">The port.</param>
    /// <param name="timeout">How long to try.</param>
    /// <returns>A task that completes when a connection succeeded.</returns>
    public static async Task WaitForPortAsync(string host, int port, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(host, port).ConfigureAwait(false);
                return;
            }
            catch (SocketException) when (deadline.Elapsed < timeout)
            {
                await Task.Delay(20).ConfigureAwait(false);
            }
            catch (SocketException ex)
            {
                throw new InvalidOperationException($"No Redis server answers at {host}:{port}.", ex);
            }
        }
    }

    private async Task SignalAsync(string signal, bool paused)
    {
        if (ProcessId is not { } pid)
        {
            throw new InvalidOperationException($"redis-server on {EndPoint} is not running.");
        }

        using var kill = Process.Start(new ProcessStartInfo("kill", ["-" + signal, pid.ToString(CultureInfo.InvariantCulture)]) { UseShellExecute = false })!;
        await kill.WaitForExitAsync().ConfigureAwait(false);
        if (kill.ExitCode != 0)
        {
            throw new InvalidOperationException($"kill -{signal} {pid} failed with exit code {kill.ExitCode}.");
        }

        IsPaused = paused;
    }

    private static void StartWatchdog(int pid)
    {
        // Exits by itself within a second after either process is gone; kills redis-server if the test host went first.
        var script = $"while kill -0 {Environment.ProcessId} 2>/dev/null; do kill -0 {pid} 2>/dev/null || exit 0; sleep 1; done; kill -9 {pid} 2>/dev/null";
        using var watchdog = Process.Start(new ProcessStartInfo("sh", ["-c", script]) { UseShellExecute = false });
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

        // Servers and cluster nodes print the first, sentinels the second.
        if (line.Contains("Ready to accept connections", StringComparison.Ordinal) || line.Contains("Sentinel ID is", StringComparison.Ordinal))
        {
            ready.TrySetResult();
        }
    }
}
