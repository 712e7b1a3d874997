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
/// Run: dotnet run -c Release --project benchmarks/HybridCaching.Benchmarks -- http-load [seconds per round] [results folder] [connections] [rounds]
/// </summary>
internal static class HttpLoadRun
{
    private const int WarmUpSeconds = 3;

    public static async Task RunAsync(string[] args)
    {
        var seconds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 5;
        var folder = args.Length > 1 ? args[1] : "benchmarks/results";
        var connections = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 32;
        var rounds = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 3;
        var output = new StringBuilder();
        void Report(string line)
        {
            Console.WriteLine(line);
            output.AppendLine(line);
        }

        Report($"# HTTP load run ({DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, .NET {Environment.Version}, {(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")} GC)");
        Report(string.Empty);
        Report($"Kestrel on 127.0.0.1, HTTP/1.1, one app per configuration, all started in this process. The client is a separate process with {connections} connections (SocketsHttpHandler), each sending GETs one after the other. Per path and configuration: {WarmUpSeconds} s warm-up, then {rounds} rounds of {seconds} s measured; the configurations take turns within each round, so a change in the machine's load hits them alike. requests/s: all rounds' requests / all rounds' time (min–max of the rounds). Server CPU: the server process's user + system processor time over the measured periods / requests (Kestrel, sockets and the app; less sensitive to the machine's load than requests/s, which on 2 shared cores is bounded by the client and the other tenants as much as by the server). B/request: the server process's allocated bytes over the measured periods / requests (the client allocates in its own process). Load average (1 min) from /proc/loadavg at the end of each measured period (min–max).");
        var apps = new List<HttpBenchApp>();
        var totals = new Dictionary<(HttpCacheConfiguration, string), Totals>();
        try
        {
            foreach (var configuration in HttpCacheConfiguration.All)
            {
                var app = await HttpBenchApp.StartAsync(configuration, kestrel: true);
                apps.Add(app);
                using var client = new HttpClient { BaseAddress = app.BaseAddress };
                await app.VerifyAsync(client);
                foreach (var path in HttpBenchApp.Paths)
                {
                    await RunClientAsync(new Uri(app.BaseAddress, path), WarmUpSeconds, connections);
                    totals[(configuration, path)] = new Totals();
                }
            }

            for (var round = 1; round <= rounds; round++)
            {
                foreach (var path in HttpBenchApp.Paths)
                {
                    foreach (var app in apps)
                    {
                        var total = totals[(app.Configuration, path)];
                        await MeasureAsync(app, path, seconds, connections, total);
                        Console.WriteLine($"  round {round} {app.Configuration.Name} {path}: {total.Rps[^1]:N0} req/s, load {total.Loads[^1]}");
                    }
                }
            }
        }
        finally
        {
            foreach (var app in apps)
            {
                await app.DisposeAsync();
            }
        }

        foreach (var path in HttpBenchApp.Paths)
        {
            Report(string.Empty);
            Report($"## GET {path}");
            Report(string.Empty);
            Report("| configuration | requests/s (rounds) | vs no caching | server CPU µs/request | vs no caching | server B/request | vs no caching | gen0 GCs | endpoint runs | load avg |");
            Report("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
            var baseline = totals[(HttpCacheConfiguration.None, path)];
            foreach (var configuration in HttpCacheConfiguration.All)
            {
                var t = totals[(configuration, path)];
                Report(string.Create(CultureInfo.InvariantCulture, $"| {configuration.Name} | {t.RequestsPerSecond:N0} ({t.Rps.Min():N0}–{t.Rps.Max():N0}) | {t.RequestsPerSecond / baseline.RequestsPerSecond:F2}× | {t.CpuMicrosecondsPerRequest:F1} | {t.CpuMicrosecondsPerRequest / baseline.CpuMicrosecondsPerRequest:F2}× | {t.BytesPerRequest:N0} | {t.BytesPerRequest - baseline.BytesPerRequest:+#,0;-#,0;0} B | {t.Gen0} | {t.Runs:N0} | {t.Loads.Min():F1}–{t.Loads.Max():F1} |"));
            }
        }

        Report(string.Empty);
        Report($"(Command: `dotnet run -c Release --project benchmarks/HybridCaching.Benchmarks -- http-load {seconds} {folder} {connections} {rounds}`; client and server share the machine's {Environment.ProcessorCount} cores, and the machine was shared with other builds.)");
        var file = System.IO.Path.Combine(folder, "http-load.md");
        await File.WriteAllTextAsync(file, output.ToString());
        Console.WriteLine("Written to " + file);
    }

    /// <summary>One measured period of one app and path; fails when a cached configuration ran its endpoint.</summary>
    private static async Task MeasureAsync(HttpBenchApp app, string path, int seconds, int connections, Totals total)
    {
        var runsBefore = app.Runs;
        var gen0Before = GC.CollectionCount(0);
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var (requests, elapsed) = await RunClientAsync(new Uri(app.BaseAddress, path), seconds, connections);
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
        var gen0 = GC.CollectionCount(0) - gen0Before;
        var runs = app.Runs - runsBefore;
        var load = double.Parse((await File.ReadAllTextAsync("/proc/loadavg")).Split(' ')[0], CultureInfo.InvariantCulture);
        var name = app.Configuration.Name;
        if (app.Configuration.Caches && runs != 0)
        {
            throw new InvalidOperationException($"{name} {path}: the endpoint ran {runs} times during the measured load: not serving hits.");
        }

        if (!app.Configuration.Caches && runs != requests)
        {
            throw new InvalidOperationException($"{name} {path}: {runs} endpoint runs for {requests} requests.");
        }

        total.Requests += requests;
        total.Seconds += elapsed;
        total.Allocated += allocated;
        total.Cpu += cpu;
        total.Gen0 += gen0;
        total.Runs += runs;
        total.Rps.Add(requests / elapsed);
        total.Loads.Add(load);
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

/// <summary>One configuration and path's measurements over the rounds.</summary>
internal sealed class Totals
{
    public long Requests { get; set; }

    public double Seconds { get; set; }

    public long Allocated { get; set; }

    public TimeSpan Cpu { get; set; }

    public int Gen0 { get; set; }

    public long Runs { get; set; }

    public List<double> Rps { get; } = [];

    public List<double> Loads { get; } = [];

    public double RequestsPerSecond => Requests / Seconds;

    public double BytesPerRequest => (double)Allocated / Requests;

    public double CpuMicrosecondsPerRequest => Cpu.TotalMicroseconds / Requests;
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
