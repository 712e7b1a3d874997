using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace HybridCaching.Benchmarks.Peers;

/// <summary>
/// A <c>redis-server</c> from PATH on a free loopback port, persistence off, killed on dispose; or, when
/// <c>HYBRIDCACHING_BENCH_REDIS=host:port</c> is set, that running server. (The test support project has the full
/// fixture; the benchmarks need only this and stay free of xunit.)
/// </summary>
internal sealed class LocalRedisServer : IAsyncDisposable
{
    private readonly Process? _process;

    private LocalRedisServer(string endPoint, Process? process)
    {
        EndPoint = endPoint;
        _process = process;
    }

    /// <summary><c>host:port</c>.</summary>
    public string EndPoint { get; }

    public static async Task<LocalRedisServer> StartAsync()
    {
        if (Environment.GetEnvironmentVariable("HYBRIDCACHING_BENCH_REDIS") is { Length: > 0 } external)
        {
            return new LocalRedisServer(external, null);
        }

        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port;
        }

        var info = new ProcessStartInfo("redis-server") { UseShellExecute = false, RedirectStandardOutput = true };
        foreach (var argument in new[] { "--bind", "127.0.0.1", "--port", port.ToString(CultureInfo.InvariantCulture), "--save", string.Empty, "--appendonly", "no" })
        {
            info.ArgumentList.Add(argument);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("redis-server did not start (apt-get install redis-server).");
        process.OutputDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        var server = new LocalRedisServer($"127.0.0.1:{port}", process);
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
                return server;
            }
            catch (SocketException) when (deadline.Elapsed < TimeSpan.FromSeconds(15) && !process.HasExited)
            {
                await Task.Delay(20);
            }
            catch (SocketException ex)
            {
                await server.DisposeAsync();
                throw new InvalidOperationException($"redis-server did not answer on port {port}.", ex);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process?.Dispose();
    }
}
