using System.Diagnostics;
using System.Globalization;

namespace HybridCaching.Testing.Redis;

/// <summary>Runs <c>redis-cli</c> (from PATH) for the fixtures' admin work: cluster create/reshard, CLUSTER INFO, SENTINEL.</summary>
public static class RedisCli
{
    // A command against a paused (SIGSTOPped) server never gets a reply: give up well before the fixtures' waits do.
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Throws when <c>redis-cli</c> is missing (it comes with redis-server: package redis-tools).</summary>
    public static void EnsureInstalled()
    {
        if (RedisProcess.FindOnPath("redis-cli") is null)
        {
            throw new InvalidOperationException("redis-cli is not on PATH: the Redis cluster and sentinel fixtures need it (apt-get install redis-tools).");
        }
    }

    /// <summary>Runs one command against a server and returns its output (raw, one reply element per line).</summary>
    /// <param name="port">The loopback port.</param>
    /// <param name="arguments">The command and its arguments.</param>
    /// <returns>The output.</returns>
    public static Task<string> CommandAsync(int port, params string[] arguments) =>
        RunAsync(["-h", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture), "--raw", .. arguments], CommandTimeout);

    /// <summary>Runs <c>redis-cli</c> with the given arguments; throws with its output when it fails or times out.</summary>
    /// <param name="arguments">The arguments.</param>
    /// <param name="timeout">How long it may take.</param>
    /// <returns>Its standard output.</returns>
    public static async Task<string> RunAsync(IReadOnlyList<string> arguments, TimeSpan timeout)
    {
        EnsureInstalled();
        var info = new ProcessStartInfo("redis-cli")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"redis-cli {string.Join(' ', arguments)} did not finish within {timeout.TotalSeconds} s:\n{await output.ConfigureAwait(false)}");
        }

        var text = await output.ConfigureAwait(false);
        var errors = await error.ConfigureAwait(false);
        if (process.ExitCode != 0 || text.StartsWith("ERR", StringComparison.Ordinal) || text.Contains("[ERR]", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"redis-cli {string.Join(' ', arguments)} failed (exit code {process.ExitCode}):\n{text}\n{errors}");
        }

        return text;
    }

    /// <summary>Parses <c>name:value</c> lines (INFO, CLUSTER INFO) into a dictionary.</summary>
    /// <param name="info">The reply.</param>
    /// <returns>The fields.</returns>
    public static IReadOnlyDictionary<string, string> ParseInfo(string info) => info
        .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
        .Where(line => !line.StartsWith('#') && line.Contains(':', StringComparison.Ordinal))
        .Select(line => line.Split(':', 2))
        .GroupBy(parts => parts[0], StringComparer.Ordinal)
        .ToDictionary(g => g.Key, g => g.First()[1], StringComparer.Ordinal);

    /// <summary>Polls <paramref name="condition"/> until it holds; throws with <paramref name="what"/> and the last error after <paramref name="timeout"/>.</summary>
    /// <param name="condition">The check (exceptions count as "not yet").</param>
    /// <param name="what">What is awaited, for the failure message.</param>
    /// <param name="timeout">How long to wait.</param>
    /// <returns>A task that completes when the condition holds.</returns>
    public static async Task WaitUntilAsync(Func<Task<bool>> condition, string what, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        Exception? last = null;
        while (deadline.Elapsed < timeout)
        {
            try
            {
                if (await condition().ConfigureAwait(false))
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
            {
                last = ex;
            }

            await Task.Delay(50).ConfigureAwait(false);
        }

        throw new TimeoutException($"Timed out after {timeout.TotalSeconds} s waiting for {what}.", last);
    }
}
