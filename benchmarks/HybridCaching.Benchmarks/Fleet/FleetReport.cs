using System.Globalization;
using System.Text;
using HybridCaching.Testing.Redis;
using StackExchange.Redis;
using static HybridCaching.Benchmarks.Fleet.WorkloadResult;

namespace HybridCaching.Benchmarks.Fleet;

/// <summary>Turns the fleet load run's measurements into fleet-load.md: one table per workload, the nodes' traffic, and
/// least-squares lines in N of the hot-key storm's Redis work, with what they predict at 100 and 1,000 servers.</summary>
internal sealed class FleetReport(string arguments, double burstKeysPerSecond)
{
    // Burst keys are "b" + 2 + 7 digits; a backplane message is [version][kind][8-byte instance id] then length + key each.
    private const int BurstKeyBytes = 11;
    private const int MessageHeaderBytes = 10;
    private readonly List<WorkloadResult> _results = [];
    private readonly string _started = $"{DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, load average {LoadAverage()}";
    private IReadOnlyList<int> _primaries = [];
    private IReadOnlyList<int> _ports = [];

    public void Nodes(IReadOnlyList<RedisClusterNode> primaries, IReadOnlyList<int> ports)
    {
        _primaries = primaries.Select(p => p.Port).ToList();
        _ports = ports;
    }

    public void Add(WorkloadResult result) => _results.Add(result);

    public string Render()
    {
        var text = new StringBuilder();
        void Line(FormattableString line) => text.AppendLine(line.ToString(CultureInfo.InvariantCulture));

        Line($"# Fleet load run");
        Line($"");
        Line($"Started {_started}; ended {DateTime.UtcNow:HH:mm} UTC, load average {LoadAverage()}. {Environment.ProcessorCount} cores, shared with other sessions' builds and tests; redis-server {RedisVersion()}, SE.Redis {typeof(IConnectionMultiplexer).Assembly.GetName().Version}.");
        Line($"");
        Line($"Command: `{("dotnet run -c Release --project benchmarks/HybridCaching.Benchmarks -- " + FleetLoadRun.Command + " " + arguments).TrimEnd()}`");
        Line($"");
        Line($"A 3-primary/3-replica Redis Cluster from redis-server on loopback (primaries {string.Join(", ", _primaries)}; all nodes {string.Join(", ", _ports)}). Per fleet size N, N worker processes, each one `HybridCache(RedisCache, MemoryCache)` with the backplane on (sharded pub/sub, 2 ms coalescing) and a `CacheFunc` (waitFor 10 s), factory {FleetLoadRun.FactoryMilliseconds} ms, `OperationTimeout` 2 s. Redis figures are deltas of each node's `INFO stats` / `INFO commandstats` (connection upkeep — ping, info, cluster, client, hello, subscribe — left out of \"commands\"; the coordinator's own INFO left out of the bytes). Factory runs, backplane messages and latencies are counted by the workers.");
        Line($"");
        Storm(Line);
        Steady(Line);
        Burst(Line);
        NodeTraffic(Line);
        Fit(Line);
        return text.ToString();
    }

    private void Storm(Action<FormattableString> line)
    {
        foreach (var group in Of("storm").GroupBy(r => r.FactoryMilliseconds))
        {
            line($"## Hot-key storm, factory {group.Key} ms");
            line($"");
            line($"Every worker calls `DoAsync` on the same cold key at the same wall-clock instant; {group.First().Events} keys in turn after one warm-up key. Per miss event (one key, all N callers). Commands and bytes are the primaries' (what clients sent); \"replicated\" is what the replicas applied. A waiter's lock attempts are `SET NX`+`GET` on the lock key's shard: 3 per waiter is the pub/sub path (before subscribing, after subscribing, after the wake-up), more means it polled. \"Next read\" is every worker calling `DoAsync` on the key once more, 300 ms after the storm.");
            line($"");
            line($"| N | factory runs per key | Redis commands per event | by command | lock attempts per waiter | backplane messages received per event | KiB in / out per event | replicated commands | commands on the value / lock / backplane shard | next read: Redis commands (factory runs) | caller p50 / p99 | start spread |");
            line($"|---|---|---|---|---|---|---|---|---|---|---|---|");
            foreach (var r in group)
            {
                var e = (double)r.Events;
                var roles = r.Roles.OrderBy(p => p.Key).Select(p => Fmt(p.Value.CacheCalls / e));
                var total = Primaries(r.Nodes);
                var replicas = r.Nodes.Values.Where(n => !_primaries.Contains(n.Port)).Sum(n => n.CacheCalls);
                line($"| {r.N} | {string.Join(", ", r.FactoryRunsPerEvent)} | {Fmt(total.CacheCalls / e)} | {ByCommand(total, e)} | {Fmt(LockAttemptsPerWaiter(r))} | {Fmt(r.WorkerTotal(Worker.MessagesReceived) / e)} | {Fmt(total.NetInput / e / 1024)} / {Fmt(total.NetOutput / e / 1024)} | {Fmt(replicas / e)} | {string.Join(" / ", roles)} | {Fmt(Primaries(r.Reread).CacheCalls / e)} ({r.RereadFactoryRuns}) | {r.Percentile(0.5):F1} / {r.Percentile(0.99):F1} ms | {r.StartSpreadMicros / 1000.0:F1} ms |");
            }

            line($"");
        }
    }

    // SET on the lock key's shard (which holds neither the value key nor the backplane channel) per waiter: the leader
    // makes one attempt, each of the N - 1 waiters the rest.
    private static double LockAttemptsPerWaiter(WorkloadResult r)
    {
        return r.N < 2 ? double.NaN : ((r.Roles[LockShard].CacheCallsOf("set") / (double)r.Events) - 1) / (r.N - 1);
    }

    private void Steady(Action<FormattableString> line)
    {
        line($"## Steady reads, 1 % writes");
        line($"");
        line($"{FleetLoadRun.SteadyOpsPerSecond:N0} operations/s fleet-wide (each worker {FleetLoadRun.SteadyOpsPerSecond:N0}/N), uniform over {FleetLoadRun.SteadyKeys} keys every worker read once beforehand; 1 % of operations are `SetAsync`.");
        line($"");
        line($"| N | operations (writes) | ops/s | Redis commands per 1,000 ops | by command, per 1,000 ops | factory runs | backplane messages received per server per s | KiB/s in / out (primaries) | hottest primary / mean of others (commands) | p50 / p99 |");
        line($"|---|---|---|---|---|---|---|---|---|---|");
        foreach (var r in Of("steady"))
        {
            var perThousand = r.Operations / 1000.0;
            line($"| {r.N} | {r.Operations:N0} ({r.Writes}) | {r.Operations / r.Seconds:N0} | {Fmt(Total(r).CacheCalls / perThousand)} | {ByCommand(Total(r), perThousand)} | {r.FactoryRuns} | {Fmt(r.WorkerTotal(Worker.MessagesReceived) / (double)r.N / r.Seconds)} | {Fmt(Total(r).NetInput / r.Seconds / 1024)} / {Fmt(Total(r).NetOutput / r.Seconds / 1024)} | {Hottest(r, n => n.CacheCalls)} | {r.Percentile(0.5):F3} / {r.Percentile(0.99):F2} ms |");
        }

        line($"");
    }

    private void Burst(Action<FormattableString> line)
    {
        line($"## Write burst, {burstKeysPerSecond:N0} keys/s fleet-wide");
        line($"");
        line($"Every worker `SetAsync`s new keys at {burstKeysPerSecond:N0}/N per second (fixed-length keys, so keys received are counted from the bytes received). \"Received\" is what one server's backplane subscription got (own messages included, then ignored), averaged over the servers.");
        line($"");
        line($"| N | keys/s written | SPUBLISH/s (Redis) | messages received per server per s | other servers' keys received per server per s | backplane shard KiB/s out | hottest primary / others: commands, bytes out | SetAsync p50 / p99 |");
        line($"|---|---|---|---|---|---|---|---|");
        foreach (var r in Of("burst"))
        {
            var s = r.Seconds;
            var received = r.WorkerTotal(Worker.MessagesReceived);
            var keys = (r.WorkerTotal(Worker.BytesReceived) - (MessageHeaderBytes * received)) / (double)BurstKeyBytes;
            var others = (keys - r.WorkerTotal(Worker.KeysPublished)) / r.N / s;
            var channelNode = r.Nodes.Values.Where(n => _primaries.Contains(n.Port)).MaxBy(n => n.NetOutput)!;
            line($"| {r.N} | {r.Operations / s:N0} | {Fmt(Total(r).CacheCallsOf("spublish") / s)} | {Fmt(received / (double)r.N / s)} | {Fmt(others)} | {Fmt(channelNode.NetOutput / s / 1024)} | {Hottest(r, n => n.CacheCalls)}, {Hottest(r, n => n.NetOutput)} | {r.Percentile(0.5):F2} / {r.Percentile(0.99):F2} ms |");
        }

        line($"");
    }

    private void NodeTraffic(Action<FormattableString> line)
    {
        line($"## Traffic per node");
        line($"");
        line($"Commands and KiB in / out per node (storm: per event; steady and burst: per second). Primaries: {string.Join(", ", _primaries)}.");
        line($"");
        line($"| workload | N | {string.Join(" | ", _ports.Select(p => p + (_primaries.Contains(p) ? " (P)" : " (R)")))} |");
        line($"|---|---|{string.Concat(_ports.Select(_ => "---|"))}");
        foreach (var r in _results)
        {
            var per = r.Workload == "storm" ? r.Events : r.Seconds;
            var cells = _ports.Select(p => r.Nodes.TryGetValue(p, out var n) ? $"{Fmt(n.CacheCalls / per)} cmd, {Fmt(n.NetInput / per / 1024)} / {Fmt(n.NetOutput / per / 1024)} KiB" : "-");
            var name = r.Workload == "storm" ? $"storm, {r.FactoryMilliseconds} ms factory" : r.Workload;
            line($"| {name} | {r.N} | {string.Join(" | ", cells)} |");
        }

        line($"");
    }

    private void Fit(Action<FormattableString> line)
    {
        var storms = Of("storm").Where(r => r.FactoryMilliseconds == FleetLoadRun.FactoryMilliseconds).ToList();
        if (storms.Count < 2)
        {
            return;
        }

        line($"## Fit: hot-key storm cost = a + b·N (least squares over the {FleetLoadRun.FactoryMilliseconds} ms storm rows)");
        line($"");
        line($"| per miss event | a | b | R² | predicted at N = 100 | at N = 1,000 |");
        line($"|---|---|---|---|---|---|");
        void Row(string name, Func<WorkloadResult, double> y)
        {
            var (a, b, r2) = LeastSquares(storms.Select(r => ((double)r.N, y(r))).ToList());
            line($"| {name} | {Fmt(a)} | {Fmt(b)} | {r2:F3} | {Fmt(a + (b * 100))} | {Fmt(a + (b * 1000))} |");
        }

        Row("Redis commands", r => Total(r).CacheCalls / (double)r.Events);
        foreach (var command in storms.SelectMany(r => Total(r).Calls.Keys).Distinct().Where(NodeCounters.IsCacheCommand).Order())
        {
            Row($"`{command.ToUpperInvariant()}`", r => Total(r).CacheCallsOf(command) / (double)r.Events);
        }

        Row("lock attempts (`SET` on the lock key's shard)", r => r.Roles[LockShard].CacheCallsOf("set") / (double)r.Events);
        Row("KiB in (primaries)", r => Total(r).NetInput / (double)r.Events / 1024);
        Row("KiB out (primaries)", r => Total(r).NetOutput / (double)r.Events / 1024);
        Row("next read: Redis commands", r => Primaries(r.Reread).CacheCalls / (double)r.Events);
        Row("factory runs", r => r.FactoryRuns / (double)r.Events);
        line($"");

        var bursts = Of("burst").ToList();
        if (bursts.Count >= 2)
        {
            line($"Write burst ({burstKeysPerSecond:N0} keys/s fleet-wide), per second:");
            line($"");
            line($"| per second | a | b | R² | predicted at N = 100 | at N = 1,000 |");
            line($"|---|---|---|---|---|---|");
            var (a, b, r2) = LeastSquares(bursts.Select(r => ((double)r.N, r.WorkerTotal(Worker.MessagesReceived) / r.Seconds)).ToList());
            line($"| backplane messages delivered, fleet-wide | {Fmt(a)} | {Fmt(b)} | {r2:F3} | {Fmt(a + (b * 100))} | {Fmt(a + (b * 1000))} |");
            (a, b, r2) = LeastSquares(bursts.Select(r => ((double)r.N, r.Nodes.Values.Where(n => _primaries.Contains(n.Port)).Max(n => n.NetOutput) / r.Seconds / 1024)).ToList());
            line($"| KiB out of the backplane shard | {Fmt(a)} | {Fmt(b)} | {r2:F3} | {Fmt(a + (b * 100))} | {Fmt(a + (b * 1000))} |");
            line($"");
        }
    }

    private IEnumerable<WorkloadResult> Of(string workload) => _results.Where(r => r.Workload == workload).OrderBy(r => r.N);

    private NodeCounters Total(WorkloadResult r) => Primaries(r.Nodes);

    // The primaries' counters summed: what the clients sent (the replicas apply the writes again).
    private NodeCounters Primaries(Dictionary<int, NodeCounters> nodes)
    {
        var primaries = nodes.Values.Where(n => _primaries.Contains(n.Port)).ToList();
        var calls = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (command, count) in primaries.SelectMany(n => n.Calls))
        {
            calls[command] = calls.GetValueOrDefault(command) + count;
        }

        return new NodeCounters(0, calls, primaries.Sum(n => n.NetInput), primaries.Sum(n => n.NetOutput));
    }

    private static string ByCommand(NodeCounters total, double per)
    {
        var cache = total.Calls.Where(c => NodeCounters.IsCacheCommand(c.Key));
        return string.Join(", ", cache.OrderByDescending(c => c.Value).Select(c => $"{c.Key.ToUpperInvariant()} {Fmt(c.Value / per)}"));
    }

    private string Hottest(WorkloadResult r, Func<NodeCounters, long> measure)
    {
        var loads = r.Nodes.Values.Where(n => _primaries.Contains(n.Port)).Select(measure).OrderDescending().ToList();
        if (loads.Count < 2)
        {
            return "-";
        }

        var rest = loads.Skip(1).Average();
        return rest <= 0 ? "all" : Fmt(loads[0] / rest) + "×";
    }

    private static (double A, double B, double R2) LeastSquares(IReadOnlyList<(double X, double Y)> points)
    {
        var mx = points.Average(p => p.X);
        var my = points.Average(p => p.Y);
        var sxx = points.Sum(p => (p.X - mx) * (p.X - mx));
        var sxy = points.Sum(p => (p.X - mx) * (p.Y - my));
        var b = sxx == 0 ? 0 : sxy / sxx;
        var a = my - (b * mx);
        var ssTotal = points.Sum(p => (p.Y - my) * (p.Y - my));
        var ssResidual = points.Sum(p => Math.Pow(p.Y - (a + (b * p.X)), 2));
        return (a, b, ssTotal == 0 ? 1 : 1 - (ssResidual / ssTotal));
    }

    private static string Fmt(double value) => Math.Abs(value) >= 100 ? value.ToString("N0", CultureInfo.InvariantCulture) : value.ToString("0.##", CultureInfo.InvariantCulture);

    private static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    private static string RedisVersion()
    {
        var server = RedisProcess.FindServer();
        if (server is null)
        {
            return "unknown";
        }

        using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(server, "--version") { RedirectStandardOutput = true })!;
        var text = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return text.Split(' ').FirstOrDefault(t => t.StartsWith("v=", StringComparison.Ordinal))?[2..] ?? "unknown";
    }
}
