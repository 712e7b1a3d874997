using System.Diagnostics;
using System.Globalization;
using System.Reflection;

namespace HybridCaching.Benchmarks.Fleet;

/// <summary>The coordinator's side of one worker process: starts it, sends one-line commands on its stdin and reads
/// the one-line reply from its stdout (lines without <see cref="ReplyPrefix"/> are ignored).</summary>
internal sealed class FleetProtocol : IAsyncDisposable
{
    public const string Ready = "fleet-ready";
    public const string ReplyPrefix = "fleet-reply ";
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);
    private readonly Process _process;

    private FleetProtocol(Process process) => _process = process;

    public static async Task<FleetProtocol> StartAsync(string endPoints, string prefix, int worker, int factoryMilliseconds)
    {
        // The same executable in worker mode: the apphost when run through it, else `dotnet <this dll>`.
        var host = Environment.ProcessPath!;
        var info = new ProcessStartInfo(host) { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(host) == "dotnet")
        {
            info.ArgumentList.Add(Assembly.GetEntryAssembly()!.Location);
        }

        foreach (var argument in new[] { FleetWorker.Command, endPoints, prefix, worker.ToString(CultureInfo.InvariantCulture), factoryMilliseconds.ToString(CultureInfo.InvariantCulture) })
        {
            info.ArgumentList.Add(argument);
        }

        var protocol = new FleetProtocol(Process.Start(info)!);
        await protocol.ReadAsync(Ready);
        return protocol;
    }

    public async Task SendAsync(string command)
    {
        await _process.StandardInput.WriteLineAsync(command);
        await _process.StandardInput.FlushAsync();
    }

    public async Task<string> RequestAsync(string command)
    {
        await SendAsync(command);
        return await ReadAsync(null);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            try
            {
                await SendAsync("quit");
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            }
            catch (Exception ex) when (ex is IOException or TimeoutException)
            {
                _process.Kill();
            }
        }

        _process.Dispose();
    }

    private async Task<string> ReadAsync(string? exact)
    {
        using var cancel = new CancellationTokenSource(Timeout);
        while (await _process.StandardOutput.ReadLineAsync(cancel.Token) is { } line)
        {
            if (exact is not null ? line == exact : line.StartsWith(ReplyPrefix, StringComparison.Ordinal))
            {
                return exact is null ? line[ReplyPrefix.Length..] : line;
            }
        }

        throw new InvalidOperationException($"Worker process {_process.Id} ended without replying.");
    }
}
