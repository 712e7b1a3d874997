using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace HybridCaching.Benchmarks.Http;

/// <summary>
/// The HTTP load run (issue 14), not a BenchmarkDotNet benchmark: each <see cref="HttpCacheConfiguration"/> in turn on
/// Kestrel (127.0.0.1), loaded by a client in a separate process (<see cref="HttpLoadClient"/>: N concurrent
/// connections, each sending GETs one after the other) for a warm-up and then a measured period per path. Reports
/// requests per second (counted by the client) and the server process's allocations per request
/// (<c>GC.GetTotalAllocatedBytes</c> delta over the measured period / requests: server only, the client allocates in
/// its own process). Fails when a cached configuration runs its endpoint during the load.
/// Run: dotnet run -c Release --project benchmarks/HybridCaching.Benchmarks -- http-load [seconds] [results folder] [connections]
/// </summary>
internal static class HttpLoadRun
{
    private const int WarmUpSeconds = 3;

    public static async Task RunAsync(string[] args)
    {
        var seconds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 10;
        var folder = args.Length > 1 ? args[1] : "benchmarks/results";
        var connections = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 32;
        var output = new StringBuilder();
        void Report(string line)
        {
            Console.WriteLine(line);
            output.AppendLine(line);
        }

        Report($"# HTTP load run ({DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, .NET {Environment.Version}, {(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")} GC)");
        Report(string.Empty);
        Report($"Kestrel on 127.0.0.1, HTTP/1.1; the client is a separate process with {connections} connections (SocketsHttpHandler), each sending GETs one after the other; per path: {WarmUpSeconds} s warm-up, then {seconds} s measured. B/request: the server process's allocated bytes over the measured period / requests. Load average (1 min) read from /proc/loadavg at the end of each measured period.");
        var results = new List<(HttpCacheConfiguration Configuration, string Path, double Rps, double BytesPerRequest, int Gen0, int Runs, string Load)>();
        foreach (var configuration in HttpCacheConfiguration.All)
        {
            await using var app = await HttpBenchApp.StartAsync(configuration, kestrel: true);
            using (var client = new HttpClient { BaseAddress = app.BaseAddress })
            {
                await app.VerifyAsync(client);
            }

            foreach (var path in HttpBenchApp.Paths)
            {
                var url = new Uri(app.BaseAddress, path);
                await RunClientAsync(url, WarmUpSeconds, connections);
                var runsBefore = app.Runs;
                var gen0Before = GC.CollectionCount(0);
                var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
                var (requests, elapsed) = await RunClientAsync(url, seconds, connections);
                var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
                var runs = app.Runs - runsBefore;
                var load = (await File.ReadAllTextAsync("/proc/loadavg")).Split(' ')[0];
                if (configuration.Caches && runs != 0)
                {
                    throw new InvalidOperationException($"{configuration.Name} {path}: the endpoint ran {runs} times during the measured load: not serving hits.");
                }

                if (!configuration.Caches && runs != requests)
                {
                    throw new InvalidOperationException($"{configuration.Name} {path}: {runs} endpoint runs for {requests} requests.");
                }

                var result = (configuration, path, requests / elapsed, (double)allocated / requests, GC.CollectionCount(0) - gen0Before, runs, load);
                results.Add(result);
                Console.WriteLine($"  {configuration.Name} {path}: {result.Item3:N0} req/s, {result.Item4:N0} B/request, load {load}");
            }
        }

        foreach (var path in HttpBenchApp.Paths)
        {
            Report(string.Empty);
            Report($"## GET {path}");
            Report(string.Empty);
            Report("| configuration | requests/s | vs no caching | server B/request | gen0 GCs | endpoint runs | load avg |");
            Report("|---|---:|---:|---:|---:|---:|---:|");
            var baseline = results.First(r => r.Path == path && r.Configuration == HttpCacheConfiguration.None).Rps;
            foreach (var r in results.Where(r => r.Path == path))
            {
                Report(string.Create(CultureInfo.InvariantCulture, $"| {r.Configuration.Name} | {r.Rps:N0} | {r.Rps / baseline:F2}× | {r.BytesPerRequest:N0} | {r.Gen0} | {r.Runs:N0} | {r.Load} |"));
            }
        }

        Report(string.Empty);
        Report($"(Command: `dotnet run -c Release --project benchmarks/HybridCaching.Benchmarks -- http-load {seconds} {folder} {connections}`; client and server share the machine's {Environment.ProcessorCount} cores, and the machine was shared with other builds.)");
        var file = System.IO.Path.Combine(folder, "http-load.md");
        await File.WriteAllTextAsync(file, output.ToString());
        Console.WriteLine("Written to " + file);
    }

    /// <summary>Runs <see cref="HttpLoadClient"/> in a new process of this program; returns its requests and seconds.</summary>
    private static async Task<(long Requests, double Seconds)> RunClientAsync(Uri url, int seconds, int connections)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, UseShellExecute = false };
        if (System.IO.Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet")
        {
            start.ArgumentList.Add(typeof(HttpLoadRun).Assembly.Location);
        }

        foreach (var arg in new[] { HttpLoadClient.Command, url.ToString(), seconds.ToString(CultureInfo.InvariantCulture), connections.ToString(CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        var line = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? string.Empty;
        var parts = line.Split(' ');
        if (process.ExitCode != 0 || parts.Length != 2)
        {
            throw new InvalidOperationException($"The load client failed (exit code {process.ExitCode}): {stdout}");
        }

        return (long.Parse(parts[0], CultureInfo.InvariantCulture), double.Parse(parts[1], CultureInfo.InvariantCulture));
    }
}

/// <summary>
/// The load run's client, in its own process: <c>connections</c> loops over one <see cref="SocketsHttpHandler"/>, each
/// sending a GET and reading the whole body, then the next, for the given seconds. Prints "requests seconds"; exits 1
/// on any non-200 response or error.
/// </summary>
internal static class HttpLoadClient
{
    public const string Command = "http-load-client";

    public static async Task<int> RunAsync(string[] args)
    {
        var url = new Uri(args[0]);
        var duration = TimeSpan.FromSeconds(int.Parse(args[1], CultureInfo.InvariantCulture));
        var connections = int.Parse(args[2], CultureInfo.InvariantCulture);
        using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = connections, PooledConnectionLifetime = Timeout.InfiniteTimeSpan, UseProxy = false });
        long requests = 0;
        var failures = 0;
        var stopwatch = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, connections).Select(i => Task.Run(async () =>
        {
            while (stopwatch.Elapsed < duration)
            {
                try
                {
                    using var response = await client.GetAsync(url);
                    _ = await response.Content.ReadAsByteArrayAsync();
                    if (response.StatusCode != System.Net.HttpStatusCode.OK)
                    {
                        Interlocked.Increment(ref failures);
                        return;
                    }
                }
                catch (HttpRequestException e)
                {
                    Console.Error.WriteLine(e.Message);
                    Interlocked.Increment(ref failures);
                    return;
                }

                Interlocked.Increment(ref requests);
            }
        })).ToArray();
        await Task.WhenAll(workers);
        var seconds = stopwatch.Elapsed.TotalSeconds;
        if (failures > 0)
        {
            Console.WriteLine($"{failures} failed requests");
            return 1;
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{requests} {seconds:F3}"));
        return 0;
    }
}
