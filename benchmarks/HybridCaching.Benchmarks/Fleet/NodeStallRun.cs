using System.Diagnostics;
using System.Globalization;
using System.Text;
using HybridCaching.Redis;
using HybridCaching.Testing.Redis;
using StackExchange.Redis;

namespace HybridCaching.Benchmarks.Fleet;

/// <summary>
/// The node stall run (issue 23's goal "one primary SIGSTOPped for 10 s"): on the 3+3 cluster the fleet run uses, one
/// process runs a steady workload — Hybrid reads (5 % of them of keys never read before) and writes through a
/// <see cref="CacheFunc"/>, and Redis-only reads and writes on the same <see cref="RedisCache"/> — over keys of every
/// shard, for a baseline, while one primary is SIGSTOPped, and after SIGCONT. Each call is timed and attributed to its
/// phase (by start time), its path and its key's shard (healthy or stalled). Writes node-stall.md.
/// Run: dotnet run -c Release --project benchmarks/HybridCaching.Benchmarks -- node-stall [results folder] [baseline s] [stall s] [after s]
/// </summary>
internal static class NodeStallRun
{
    public const string Command = "node-stall";
    public static readonly TimeSpan OperationTimeout = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan Slack = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan NoFailover = TimeSpan.FromMinutes(2);
    private const string Prefix = "ns:";
    private const int KeysPerPrimary = 200;
    private const int LoopsPerPath = 3;
    private const int WritePercent = 10;
    private const int ColdPercent = 5;

    private enum Phase { Baseline, Stall, After }

    private enum Source { None, Memory, Upstream, Factory }

    private readonly record struct Sample(long Started, double Millis, bool Stalled, bool Hybrid, bool Write, bool Failed, Source Source);

    private sealed record StallKey(string Name, int Slot, bool Stalled);

    public static async Task RunAsync(string[] args)
    {
        var folder = args.Length > 0 ? args[0] : "benchmarks/results";
        var seconds = Enumerable.Range(1, 3).Select(i => TimeSpan.FromSeconds(args.Length > i ? double.Parse(args[i], CultureInfo.InvariantCulture) : i == 3 ? 5 : 10)).ToArray();
        var load = new List<string> { await File.ReadAllTextAsync("/proc/loadavg") };
        var cluster = new RedisClusterFixture();
        await cluster.InitializeAsync();
        RedisClusterNode? victim = null;
        try
        {
            // Redis's default node timeout is 15 s; the fixture's 1 s would fail the stopped primary over mid-stall.
            foreach (var node in cluster.Nodes)
            {
                await RedisCli.CommandAsync(node.Port, "CONFIG", "SET", "cluster-node-timeout", ((long)NoFailover.TotalMilliseconds).ToString(CultureInfo.InvariantCulture));
            }

            var primaries = await cluster.GetPrimariesAsync();
            var channelSlot = RedisHashSlot.Of("!backplane!" + Prefix);
            victim = primaries.First(p => !p.Slots.Contains(channelSlot)); // announcements keep flowing; only data keys stall
            var keys = primaries.SelectMany(p => Enumerable.Range(0, KeysPerPrimary).Select(i =>
            {
                var slot = p.Slots[i * 37 % p.Slots.Count];
                return new StallKey(RedisHashSlot.KeyIn(slot, "k" + i.ToString(CultureInfo.InvariantCulture)), slot, p.Id == victim.Id);
            })).ToArray();

            await using var multiplexer = await ConnectionMultiplexer.ConnectAsync(Configuration(cluster.ConfigurationString));
            var redis = new RedisCache(multiplexer, new RedisCacheOptions { Prefix = Prefix, OperationTimeout = OperationTimeout });
            var memory = new MemoryCache(100_000, 256 << 20, TimeSpan.FromHours(1));
            await using var hybrid = new HybridCache(redis, memory);
            await ((RedisBackplane)hybrid.Backplane!).Subscribed;
            var func = new CacheFunc(hybrid, TimeSpan.FromSeconds(5), TimeSpan.FromHours(1), TimeSpan.FromHours(1));
            foreach (var key in keys)
            {
                await func.DoAsync(key.Name, _ => Task.FromResult(0L));
            }

            var samples = Enumerable.Range(0, LoopsPerPath * 2).Select(_ => new List<Sample>()).ToArray();
            using var stop = new CancellationTokenSource();
            var workload = new Workload(keys, redis, hybrid, memory, func);
            var loops = samples.Select((list, i) => Task.Run(() => workload.LoopAsync(i, hybridPath: i % 2 == 0, list, stop.Token))).ToArray();
            Console.WriteLine($"baseline {seconds[0].TotalSeconds} s");
            await Task.Delay(seconds[0]);
            load.Add(await File.ReadAllTextAsync("/proc/loadavg"));
            var stallStart = Stopwatch.GetTimestamp();
            await cluster.Process(victim).PauseAsync();
            Console.WriteLine($"{victim.EndPoint} stopped for {seconds[1].TotalSeconds} s");
            await Task.Delay(seconds[1]);
            await cluster.Process(victim).ResumeAsync();
            var stallEnd = Stopwatch.GetTimestamp();
            Console.WriteLine($"{victim.EndPoint} resumed; {seconds[2].TotalSeconds} s more");
            await Task.Delay(seconds[2]);
            await stop.CancelAsync();
            await Task.WhenAll(loops);
            load.Add(await File.ReadAllTextAsync("/proc/loadavg"));

            var all = samples.SelectMany(s => s).ToList();
            Phase PhaseOf(Sample s) => s.Started < stallStart ? Phase.Baseline : s.Started < stallEnd ? Phase.Stall : Phase.After;
            var report = Render(args, victim, primaries, seconds, load, all, PhaseOf, stallEnd);
            var path = Path.Combine(folder, "node-stall.md");
            await File.WriteAllTextAsync(path, report);
            Console.WriteLine(report);
            Console.WriteLine("Written to " + path);
        }
        finally
        {
            if (victim is not null && cluster.Process(victim).IsPaused)
            {
                await cluster.Process(victim).ResumeAsync();
            }

            await cluster.DisposeAsync();
        }
    }

    private static string Render(string[] args, RedisClusterNode victim, IReadOnlyList<RedisClusterNode> primaries, TimeSpan[] seconds, List<string> load, List<Sample> all, Func<Sample, Phase> phaseOf, long stallEnd)
    {
        var text = new StringBuilder();
        void Line(FormattableString line) => text.AppendLine(line.ToString(CultureInfo.InvariantCulture));
        var limit = (OperationTimeout + Slack).TotalMilliseconds;
        Line($"# Node stall: one primary of six SIGSTOPped");
        Line($"");
        Line($"Issue 23's goal: with one primary SIGSTOPped for 10 s, operations on keys of the other shards keep their p99 and 0 failed calls; the stalled shard's keys are served from memory, and wait at most `OperationTimeout` where they cannot be.");
        Line($"");
        Line($"Command: `dotnet run -c Release --project benchmarks/HybridCaching.Benchmarks -- node-stall {string.Join(' ', args)}` (benchmarks/HybridCaching.Benchmarks/Fleet/NodeStallRun.cs), run {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC.");
        Line($"");
        Line($"- Cluster: 3 primaries + 3 replicas from redis-server (the fleet run's fixture), `cluster-node-timeout` raised to {NoFailover.TotalSeconds:F0} s on every node so that no failover happens during the stall (Redis's default is 15 s; the fixture's 1 s would promote the replica mid-stall, which is a different scenario: while it happens the cluster refuses every key).");
        Line($"- Stopped: primary {victim.EndPoint} ({victim.Slots.Count} slots; chosen so that the backplane channel's shard stays up), SIGSTOP for {seconds[1].TotalSeconds:F0} s after a {seconds[0].TotalSeconds:F0} s baseline, SIGCONT, then {seconds[2].TotalSeconds:F0} s more. Primaries: {string.Join(", ", primaries.Select(p => p.EndPoint))}.");
        Line($"- One process, one multiplexer, one `RedisCache` (`OperationTimeout` {OperationTimeout.TotalMilliseconds:F0} ms) under a `HybridCache` (memory level, backplane on). {LoopsPerPath} loops on the hybrid path (`CacheFunc.DoAsync`; {WritePercent} % `HybridCache.SetAsync`; {ColdPercent} % of reads on a key never read before, which memory cannot serve) and {LoopsPerPath} loops Redis-only (`RedisCache.GetAsync`, {WritePercent} % `SetAsync`), each pausing 2 ms between calls, over {KeysPerPrimary} keys per primary (hash-tagged, so value and lock keys share the shard), all prefilled.");
        Line($"- A call belongs to the phase in which it started. \"From memory\": the key was in the memory level when the call started; \"factory\": the call ran the factory (Redis failed or the key was new). \"> {limit:F0} ms\": calls longer than `OperationTimeout` + {Slack.TotalMilliseconds:F0} ms.");
        Line($"- Load average (1/5/15 min) at start, at the stall, at the end: {string.Join(" → ", load.Select(l => string.Join(' ', l.Split(' ').Take(3))))} — a shared 2-core machine with other sessions' builds and tests.");
        Line($"");
        Line($"| Phase | Path | Shard | Calls | Writes | Failed | p50 | p99 | Max | > {limit:F0} ms | From memory | Factory |");
        Line($"|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var group in all.GroupBy(s => (Phase: phaseOf(s), s.Hybrid, s.Stalled)).OrderBy(g => g.Key.Phase).ThenByDescending(g => g.Key.Hybrid).ThenBy(g => g.Key.Stalled))
        {
            var latencies = group.Select(s => s.Millis).Order().ToList();
            Line($"| {group.Key.Phase} | {(group.Key.Hybrid ? "Hybrid" : "Redis-only")} | {(group.Key.Stalled ? "stalled" : "healthy")} | {group.Count():N0} | {group.Count(s => s.Write):N0} | {group.Count(s => s.Failed):N0} | {BackplaneLoadRun.Percentile(latencies, 0.5):F2} ms | {BackplaneLoadRun.Percentile(latencies, 0.99):F2} ms | {latencies[^1]:F1} ms | {latencies.Count(l => l > limit)} | {(group.Key.Hybrid ? group.Count(s => s.Source == Source.Memory).ToString("N0", CultureInfo.InvariantCulture) : "–")} | {(group.Key.Hybrid ? group.Count(s => s.Source == Source.Factory).ToString("N0", CultureInfo.InvariantCulture) : "–")} |");
        }

        // The stalled shard during the stall: the calls that waited, in order, and what the rest did.
        var stalled = all.Where(s => s.Stalled && phaseOf(s) == Phase.Stall).OrderBy(s => s.Started).ToList();
        var waited = stalled.Where(s => s.Millis > 50).ToList();
        Line($"");
        Line($"Stalled shard during the stall: {stalled.Count:N0} calls, {waited.Count} of them took over 50 ms (longest {(waited.Count > 0 ? waited.Max(s => s.Millis) : 0):F0} ms, {waited.Count(s => s.Millis > limit)} over {limit:F0} ms); the first started {Since(stalled, waited)}.");
        var recovered = all.Where(s => s.Stalled && !s.Hybrid && !s.Failed && s.Started >= stallEnd).OrderBy(s => s.Started).FirstOrDefault();
        Line($"After SIGCONT, the first Redis-only call on the stalled shard to succeed started {(recovered.Started == 0 ? "never" : Stopwatch.GetElapsedTime(stallEnd, recovered.Started).TotalMilliseconds.ToString("F0", CultureInfo.InvariantCulture) + " ms")} after the resume.");
        Line($"Hybrid reads on the stalled shard during the stall: {stalled.Count(s => s.Hybrid && !s.Write):N0}, served from memory {stalled.Count(s => s.Hybrid && !s.Write && s.Source == Source.Memory):N0}, by the factory {stalled.Count(s => s.Hybrid && !s.Write && s.Source == Source.Factory):N0}, failed {stalled.Count(s => s.Hybrid && !s.Write && s.Failed):N0}.");
        return text.ToString();
    }

    private static string Since(List<Sample> stalled, List<Sample> waited)
    {
        if (stalled.Count == 0 || waited.Count == 0)
        {
            return "–";
        }

        return string.Join(", ", waited.Take(8).Select(s => string.Create(CultureInfo.InvariantCulture, $"{Stopwatch.GetElapsedTime(stalled[0].Started, s.Started).TotalMilliseconds:F0} ms in ({s.Millis:F0} ms, {(s.Hybrid ? "hybrid" : "Redis-only")} {(s.Write ? "write" : "read")})")));
    }

    private static ConfigurationOptions Configuration(string endPoints)
    {
        var options = ConfigurationOptions.Parse(endPoints);
        options.AbortOnConnectFail = false;
        options.BacklogPolicy = BacklogPolicy.FailFast;
        return options;
    }

    private sealed class Workload(StallKey[] keys, RedisCache redis, HybridCache hybrid, MemoryCache memory, CacheFunc func)
    {
        private long _cold;

        public async Task LoopAsync(int seed, bool hybridPath, List<Sample> samples, CancellationToken stop)
        {
            var random = new Random(seed);
            while (!stop.IsCancellationRequested)
            {
                var key = keys[random.Next(keys.Length)];
                var write = random.Next(100) < WritePercent;
                var name = hybridPath && !write && random.Next(100) < ColdPercent
                    ? RedisHashSlot.KeyIn(key.Slot, "cold" + Interlocked.Increment(ref _cold).ToString(CultureInfo.InvariantCulture))
                    : key.Name;
                var source = hybridPath && !write && await memory.GetAsync(name) is not null ? Source.Memory : Source.None;
                var ran = false;
                var started = Stopwatch.GetTimestamp();
                var failed = false;
                try
                {
                    if (hybridPath && write)
                    {
                        await hybrid.SetAsync(name, BackplaneLoadRun.Payload(started), TimeSpan.FromHours(1));
                    }
                    else if (hybridPath)
                    {
                        await func.DoAsync(name, _ => { ran = true; return Task.FromResult(started); });
                    }
                    else if (write)
                    {
                        await redis.SetAsync(name, BackplaneLoadRun.Payload(started), TimeSpan.FromHours(1));
                    }
                    else
                    {
                        await redis.GetAsync(name);
                    }
                }
#pragma warning disable CA1031 // a failed call is what is counted
                catch (Exception)
#pragma warning restore CA1031
                {
                    failed = true;
                }

                var millis = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                source = ran ? Source.Factory : source == Source.None && hybridPath && !write ? Source.Upstream : source;
                samples.Add(new Sample(started, millis, key.Stalled, hybridPath, write, failed, source));
                await Task.Delay(2, CancellationToken.None);
            }
        }
    }
}
