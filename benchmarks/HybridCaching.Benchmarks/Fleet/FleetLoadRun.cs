using System.Diagnostics;
using System.Globalization;
using HybridCaching.Testing.Redis;
using StackExchange.Redis;

namespace HybridCaching.Benchmarks.Fleet;

/// <summary>
/// The fleet load run (issue 23), not a BenchmarkDotNet benchmark: a 3-primary/3-replica Redis Cluster started from
/// redis-server, then for each fleet size N, N worker processes (<see cref="FleetWorker"/>) running three workloads —
/// a hot-key storm (every worker misses one cold key at the same instant, repeated), steady reads with 1 % writes, and a
/// write burst of 1,000 keys/s fleet-wide — measured from Redis's own counters per node (<see cref="NodeCounters"/>)
/// and the workers' factory, backplane and latency counts. Writes fleet-load.md (<see cref="FleetReport"/>).
/// Run: dotnet run -c Release --project benchmarks/HybridCaching.Benchmarks -- fleet-load [sizes] [results folder] [seconds] [burst keys/s]
/// </summary>
internal static class FleetLoadRun
{
    public const string Command = "fleet-load";
    public const int FactoryMilliseconds = 50;
    public const int StormKeys = 6;
    public const int SlowFactoryMilliseconds = 500;
    public const int SlowStormKeys = 3;
    public const int SteadyKeys = 500;
    public const double SteadyOpsPerSecond = 2000;
    public const double DefaultBurstKeysPerSecond = 1000;

    public static async Task RunAsync(string[] args)
    {
        var sizes = (args.Length > 0 ? args[0] : "2,4,8,16,32").Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToList();
        var folder = args.Length > 1 ? args[1] : "benchmarks/results";
        var seconds = args.Length > 2 ? double.Parse(args[2], CultureInfo.InvariantCulture) : 3;
        var burstRate = args.Length > 3 ? double.Parse(args[3], CultureInfo.InvariantCulture) : DefaultBurstKeysPerSecond;
        var report = new FleetReport(string.Join(' ', args), burstRate);

        var cluster = new RedisClusterFixture();
        await cluster.InitializeAsync();
        try
        {
            var admin = ConfigurationOptions.Parse(cluster.ConfigurationString);
            admin.AllowAdmin = true;
            await using var multiplexer = await ConnectionMultiplexer.ConnectAsync(admin);
            var primaries = await cluster.GetPrimariesAsync();
            var ports = cluster.Nodes.Select(n => n.Port).ToList();
            report.Nodes(primaries, ports);
            foreach (var n in sizes)
            {
                var run = new Run(n, "f" + n.ToString(CultureInfo.InvariantCulture) + ":", multiplexer, ports, primaries, report);
                Console.WriteLine($"N = {n}: starting workers ({DateTime.UtcNow:HH:mm:ss})");
                var started = Stopwatch.StartNew();
                var workers = await StartWorkersAsync(cluster.ConfigurationString, run.Prefix, n);
                Console.WriteLine($"N = {n}: {n} workers ready in {started.Elapsed.TotalSeconds:F1} s");
                try
                {
                    await run.StormAsync(workers, FactoryMilliseconds, StormKeys);
                    await run.StormAsync(workers, SlowFactoryMilliseconds, SlowStormKeys);
                    await run.SteadyAsync(workers, seconds);
                    await run.BurstAsync(workers, seconds, burstRate);
                }
                finally
                {
                    await Task.WhenAll(workers.Select(w => w.DisposeAsync().AsTask()));
                }
            }
        }
        finally
        {
            await cluster.DisposeAsync();
        }

        var path = Path.Combine(folder, burstRate == DefaultBurstKeysPerSecond ? "fleet-load.md" : $"fleet-load-burst{burstRate.ToString(CultureInfo.InvariantCulture)}.md");
        await File.WriteAllTextAsync(path, report.Render());
        Console.WriteLine("Written to " + path);
    }

    private static async Task<List<FleetProtocol>> StartWorkersAsync(string endPoints, string prefix, int n)
    {
        // Four at a time: 32 .NET start-ups at once on 2 cores take longer than in small batches.
        var workers = new List<FleetProtocol>();
        for (var i = 0; i < n; i += 4)
        {
            workers.AddRange(await Task.WhenAll(Enumerable.Range(i, Math.Min(4, n - i)).Select(w => FleetProtocol.StartAsync(endPoints, prefix, w, FactoryMilliseconds))));
        }

        return workers;
    }

    private static long StartAt(TimeSpan ahead) => DateTimeOffset.UtcNow.Add(ahead).ToUnixTimeMilliseconds();

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    /// <summary>One fleet size: its workers' prefix and the measurements of its workloads.</summary>
    private sealed class Run(int n, string prefix, IConnectionMultiplexer admin, IReadOnlyList<int> ports, IReadOnlyList<RedisClusterNode> primaries, FleetReport report)
    {
        public string Prefix => prefix;

        public async Task StormAsync(List<FleetProtocol> workers, int factoryMilliseconds, int count)
        {
            var backplaneSlot = RedisHashSlot.Of("!backplane!" + prefix);
            var keys = new List<string>();
            for (var i = factoryMilliseconds * 100; keys.Count < count + 1; i++)
            {
                // Value key, lock key and backplane channel on three different primaries, so each node's counters show one role.
                var key = Invariant($"hot{i}");
                var value = Primary(RedisHashSlot.Of(prefix + key));
                var lockNode = Primary(RedisHashSlot.Of("!lock!" + prefix + key));
                var channel = Primary(backplaneSlot);
                if (value != lockNode && value != channel && lockNode != channel)
                {
                    keys.Add(key);
                }
            }

            var result = new WorkloadResult("storm", n, factoryMilliseconds);
            for (var k = 0; k < keys.Count; k++)
            {
                var key = keys[k];
                var measured = k > 0; // the first key warms up (JIT, first subscriptions)
                var workersBefore = await CountersAsync(workers);
                var before = await NodeCounters.ReadAsync(admin, ports);
                var start = StartAt(TimeSpan.FromMilliseconds(300 + (10 * n)));
                var replies = await Task.WhenAll(workers.Select(w => w.RequestAsync(Invariant($"storm {key} {start} {factoryMilliseconds}"))));
                await Task.Delay(300); // the leader's result write, race result and announcements are not awaited by callers
                var after = await NodeCounters.ReadAsync(admin, ports);
                var workersAfter = await CountersAsync(workers);

                // Every worker reads the key once more: does it hold the storm's value in memory, or ask Redis again?
                var rereads = await Task.WhenAll(workers.Select(w => w.RequestAsync(Invariant($"read {key}"))));
                await Task.Delay(100);
                var reread = await NodeCounters.ReadAsync(admin, ports);
                if (!measured)
                {
                    continue;
                }

                var fields = replies.Select(r => r.Split(' ').Select(f => long.Parse(f, CultureInfo.InvariantCulture)).ToArray()).ToList();
                var runs = fields.Sum(f => f[0]);
                result.Add(NodeCounters.Delta(before, after), Delta(workersBefore, workersAfter), fields.Select(f => f[2]), events: 1, runs);
                result.FactoryRunsPerEvent.Add(runs);
                result.AddReread(NodeCounters.Delta(after, reread), rereads.Sum(r => long.Parse(r, CultureInfo.InvariantCulture)));
                result.StartSpreadMicros = Math.Max(result.StartSpreadMicros, fields.Max(f => f[1]) - fields.Min(f => f[1]));
                var delta = NodeCounters.Delta(before, after);
                int[] rolePorts = [Primary(RedisHashSlot.Of(prefix + key)), Primary(RedisHashSlot.Of("!lock!" + prefix + key)), Primary(backplaneSlot)];
                result.AddRoles(rolePorts.Select((port, role) => delta.Single(d => d.Port == port) with { Port = role }).ToList());
                Console.WriteLine($"N = {n}: storm {key} ({factoryMilliseconds} ms factory): {runs} factory runs");
            }

            report.Add(result);
        }

        public async Task SteadyAsync(List<FleetProtocol> workers, double seconds)
        {
            // Twice: a worker that waited for another's factory gets the race result without a copy in its memory level (see
            // the storm's second read); the second pass reads those keys from Redis and copies them down.
            for (var pass = 0; pass < 2; pass++)
            {
                await Task.WhenAll(workers.Select(w => w.RequestAsync(Invariant($"prefill {SteadyKeys}"))));
                await Task.Delay(500);
            }

            var result = new WorkloadResult("steady", n) { Seconds = seconds };
            var workersBefore = await CountersAsync(workers);
            var before = await NodeCounters.ReadAsync(admin, ports);
            var start = StartAt(TimeSpan.FromMilliseconds(300 + (10 * n)));
            var rate = SteadyOpsPerSecond / n;
            var replies = await Task.WhenAll(workers.Select((w, i) => w.RequestAsync(Invariant($"steady {seconds} {rate} {SteadyKeys} {i + 1} {start}"))));
            await Task.Delay(300);
            var after = await NodeCounters.ReadAsync(admin, ports);
            var workersAfter = await CountersAsync(workers);
            Collect(result, replies, before, after, workersBefore, workersAfter);
            Console.WriteLine($"N = {n}: steady {result.Operations} ops, {result.Writes} writes");
            report.Add(result);
        }

        public async Task BurstAsync(List<FleetProtocol> workers, double seconds, double keysPerSecond)
        {
            var result = new WorkloadResult("burst", n) { Seconds = seconds };
            var workersBefore = await CountersAsync(workers);
            var before = await NodeCounters.ReadAsync(admin, ports);
            var start = StartAt(TimeSpan.FromMilliseconds(300 + (10 * n)));
            var rate = keysPerSecond / n;
            var replies = await Task.WhenAll(workers.Select(w => w.RequestAsync(Invariant($"burst {seconds} {rate} {start}"))));
            await Task.Delay(500);
            var after = await NodeCounters.ReadAsync(admin, ports);
            var workersAfter = await CountersAsync(workers);
            Collect(result, replies, before, after, workersBefore, workersAfter);
            result.Writes = result.Operations;
            Console.WriteLine($"N = {n}: burst {result.Operations} keys written");
            report.Add(result);
        }

        private static void Collect(WorkloadResult result, string[] replies, IReadOnlyList<NodeCounters> before, IReadOnlyList<NodeCounters> after, long[][] workersBefore, long[][] workersAfter)
        {
            var latencies = new List<long>();
            foreach (var reply in replies)
            {
                var parts = reply.Split(' ');
                result.Operations += long.Parse(parts[0], CultureInfo.InvariantCulture);
                result.Writes += long.Parse(parts[1], CultureInfo.InvariantCulture);
                if (parts.Length > 2 && parts[2].Length > 0)
                {
                    latencies.AddRange(parts[2].Split(',').Select(l => long.Parse(l, CultureInfo.InvariantCulture)));
                }
            }

            var workers = Delta(workersBefore, workersAfter);
            result.Add(NodeCounters.Delta(before, after), workers, latencies, events: 1, factoryRuns: workers.Sum(w => w[0]));
        }

        private int Primary(int slot) => primaries.First(p => p.Slots.Contains(slot)).Port;

        private static Task<long[][]> CountersAsync(List<FleetProtocol> workers)
            => Task.WhenAll(workers.Select(async w => (await w.RequestAsync("counters")).Split(' ').Select(f => long.Parse(f, CultureInfo.InvariantCulture)).ToArray()));

        private static long[][] Delta(long[][] before, long[][] after)
            => after.Select((a, i) => a.Select((v, j) => v - before[i][j]).ToArray()).ToArray();
    }
}
