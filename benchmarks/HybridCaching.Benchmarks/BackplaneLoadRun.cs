using System.Diagnostics;
using System.Globalization;
using System.Text;
using HybridCaching.Redis;
using HybridCaching.Serialization;
using HybridCaching.Testing.Redis;
using StackExchange.Redis;

namespace HybridCaching.Benchmarks;

/// <summary>
/// The backplane load run (issue 13), not a BenchmarkDotNet benchmark: 3 HybridCache instances on one redis-server (or
/// the 3+3 cluster), steady hits on 1,000 keys, one instance updating keys at a fixed rate; measures, for every update,
/// the time from its SetAsync returning to each other instance returning the new value, and counts stale reads after the
/// 50 ms bound. Then the message cost one instance receives when the fleet writes 1,000 keys/s, with and without coalescing.
/// Run: dotnet run -c Release --project benchmarks/HybridCaching.Benchmarks -- backplane-load
/// </summary>
internal static class BackplaneLoadRun
{
    private const int Keys = 1000;
    private static readonly TimeSpan Bound = TimeSpan.FromMilliseconds(50);

    public static async Task RunAsync(string[] args)
    {
        var seconds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 15;
        var output = new StringBuilder();
        void Report(string line)
        {
            Console.WriteLine(line);
            output.AppendLine(line);
        }

        Report($"# Backplane load run ({DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, SE.Redis {typeof(IConnectionMultiplexer).Assembly.GetName().Version})");
        Report(string.Empty);
        await using (var server = await RedisServerFixture.StartAsync(new RedisServerOptions { Private = true }))
        {
            Report($"## Standalone redis-server, 3 instances, {Keys} keys, 100 updates/s for {seconds} s");
            await LatencyAsync(server.EndPoint, seconds, killPubSub: false, Report);
            Report(string.Empty);
            Report($"## Same, with CLIENT KILL TYPE pubsub at half time (every instance's subscription drops)");
            await LatencyAsync(server.EndPoint, seconds, killPubSub: true, Report);
            Report(string.Empty);
            Report("## Cost: the fleet (3 instances) writes 1,000 keys/s; what one instance receives");
            await CostAsync(server.EndPoint, TimeSpan.FromMilliseconds(2), Report);
            await CostAsync(server.EndPoint, TimeSpan.Zero, Report);
        }

        var cluster = new RedisClusterFixture();
        await cluster.InitializeAsync();
        try
        {
            Report(string.Empty);
            Report($"## Redis Cluster (3 primaries + 3 replicas, sharded pub/sub), same latency run");
            await LatencyAsync(cluster.ConfigurationString, seconds, killPubSub: false, Report);
        }
        finally
        {
            await cluster.DisposeAsync();
        }

        var path = Path.Combine(args.Length > 1 ? args[1] : "benchmarks/results", "backplane-load.md");
        await File.WriteAllTextAsync(path, output.ToString());
        Console.WriteLine("Written to " + path);
    }

    private static ConfigurationOptions Configuration(string endPoints)
    {
        var options = ConfigurationOptions.Parse(endPoints);
        options.AbortOnConnectFail = false;
        options.BacklogPolicy = BacklogPolicy.FailFast;
        options.AllowAdmin = true;
        options.ReconnectRetryPolicy = new LinearRetry(200);
        return options;
    }

    private static async Task<(HybridCache Hybrid, CacheFunc Func, RedisBackplane Backplane)[]> StartAsync(string endPoints, string prefix, TimeSpan window)
    {
        var instances = new (HybridCache, CacheFunc, RedisBackplane)[3];
        for (var i = 0; i < instances.Length; i++)
        {
            var multiplexer = await ConnectionMultiplexer.ConnectAsync(Configuration(endPoints));
            var redis = new RedisCache(multiplexer, new RedisCacheOptions { Prefix = prefix, BackplaneCoalesceWindow = window, OperationTimeout = TimeSpan.FromSeconds(5) });
            var hybrid = new HybridCache(redis, new MemoryCache(100_000, 256 << 20, TimeSpan.FromHours(1)));
            var backplane = (RedisBackplane)hybrid.Backplane!;
            await backplane.Subscribed;
            instances[i] = (hybrid, new CacheFunc(hybrid, TimeSpan.FromSeconds(5), TimeSpan.FromHours(1), TimeSpan.FromHours(1)), backplane);
        }

        return instances;
    }

    internal static byte[] Payload(long version)
        => CachePayload.Write(DateTimeOffset.UtcNow.AddHours(1), MessagePackCacheSerializer.Default.Serialize(version));

    private static async Task LatencyAsync(string endPoints, int seconds, bool killPubSub, Action<string> report)
    {
        var prefix = "load:" + Guid.NewGuid().ToString("N")[..8] + ":";
        var instances = await StartAsync(endPoints, prefix, TimeSpan.FromMilliseconds(2));
        var latest = new long[Keys];
        var setReturnedAt = new long[Keys];
        for (var k = 0; k < Keys; k++)
        {
            await instances[0].Hybrid.SetAsync(Key(k), Payload(0), TimeSpan.FromHours(1));
        }

        foreach (var (_, func, _) in instances)
        {
            for (var k = 0; k < Keys; k++)
            {
                await func.DoAsync(Key(k), _ => Task.FromResult(-1L));
            }
        }

        using var stop = new CancellationTokenSource();
        long reads = 0, stale = 0;
        var measuring = false;
        const int WarmUp = 300; // updates (3 s) not recorded: JIT, connection warm-up
        var readers = instances.Skip(1).Select(instance => Task.Run(async () =>
        {
            var random = new Random(1);
            var n = 0;
            while (!stop.IsCancellationRequested)
            {
                if (++n % 20 == 0)
                {
                    await Task.Delay(1); // steady hits (≈ 10-20k/s per instance), not a spin loop starving the 2 cores
                }

                var k = random.Next(Keys);
                var expected = Volatile.Read(ref latest[k]);
                var since = Volatile.Read(ref setReturnedAt[k]);
                var started = Stopwatch.GetTimestamp();
                var seen = await instance.Func.DoAsync(Key(k), _ => Task.FromResult(-1L));
                Interlocked.Increment(ref reads);
                if (Volatile.Read(ref measuring) && seen < expected && since != 0 && Stopwatch.GetElapsedTime(since, started) > Bound)
                {
                    Interlocked.Increment(ref stale);
                }
            }
        })).ToList();

        var latencies = new List<double>();
        var updates = (seconds * 100) + WarmUp;
        var pending = new List<Task>();
        var runStarted = Stopwatch.GetTimestamp();
        var killed = false;
        for (var u = 0; u < updates; u++)
        {
            // Fixed rate: update u is due at u × 10 ms.
            var due = TimeSpan.FromMilliseconds(u * 10) - Stopwatch.GetElapsedTime(runStarted);
            if (due > TimeSpan.Zero)
            {
                await Task.Delay(due);
            }

            if (killPubSub && !killed && u >= updates / 2)
            {
                killed = true;
                using var admin = await ConnectionMultiplexer.ConnectAsync(Configuration(endPoints));
                await admin.GetDatabase().ExecuteAsync("CLIENT", "KILL", "TYPE", "pubsub");
            }

            var key = u % Keys;
            var version = u + 1L;
            await instances[0].Hybrid.SetAsync(Key(key), Payload(version), TimeSpan.FromHours(1));
            var returned = Stopwatch.GetTimestamp();
            Volatile.Write(ref setReturnedAt[key], returned); // before latest: a reader that sees the version sees its time
            Volatile.Write(ref latest[key], version);
            if (u == WarmUp)
            {
                Volatile.Write(ref measuring, true);
            }

            var record = u >= WarmUp;
            foreach (var other in instances.Skip(1))
            {
                pending.Add(Task.Run(async () =>
                {
                    while (await other.Func.DoAsync(Key(key), _ => Task.FromResult(-1L)) < version)
                    {
                        if (Stopwatch.GetElapsedTime(returned) > TimeSpan.FromSeconds(10))
                        {
                            break;
                        }

                        await Task.Delay(1);
                    }

                    var elapsed = Stopwatch.GetElapsedTime(returned).TotalMilliseconds;
                    if (!record)
                    {
                        return;
                    }

                    lock (latencies)
                    {
                        latencies.Add(elapsed);
                    }
                }));
            }
        }

        await Task.WhenAll(pending);
        stop.Cancel();
        await Task.WhenAll(readers);
        latencies.Sort();
        report($"- samples {latencies.Count} (updates after a 3 s warm-up × 2 other instances); SetAsync returned → other instance returns the new value: "
            + $"p50 {Percentile(latencies, 0.50):F1} ms, p99 {Percentile(latencies, 0.99):F1} ms, max {latencies[^1]:F1} ms; "
            + $"over 50 ms: {latencies.Count(l => l > 50)}");
        report($"- steady reads on the 2 other instances: {reads:N0}; stale reads after the 50 ms bound: {stale}");
        report($"- gaps seen (subscription restored → memory level cleared): {string.Join(", ", instances.Select(i => i.Backplane.Gaps))}");
        foreach (var (hybrid, _, _) in instances)
        {
            await hybrid.DisposeAsync();
        }

        string Key(int k) => "k" + k.ToString(CultureInfo.InvariantCulture);
    }

    private static async Task CostAsync(string endPoints, TimeSpan window, Action<string> report)
    {
        var prefix = "cost:" + Guid.NewGuid().ToString("N")[..8] + ":";
        var instances = await StartAsync(endPoints, prefix, window);
        var duration = TimeSpan.FromSeconds(10);
        var receiver = instances[2].Backplane;
        var (messages0, bytes0) = (receiver.MessagesReceived, receiver.BytesReceived);
        var started = Stopwatch.GetTimestamp();

        // Every instance writes 10 keys every 30 ms (≈ 333 keys/s each, 1,000 keys/s for the fleet).
        var writers = instances.Select((instance, w) => Task.Run(async () =>
        {
            var tick = 0;
            while (Stopwatch.GetElapsedTime(started) < duration)
            {
                var batch = Enumerable.Range(0, 10).Select(i => instance.Hybrid.SetAsync($"w{w}:k{(tick * 10) + i % 1000}", Payload(tick), TimeSpan.FromMinutes(5)).AsTask());
                await Task.WhenAll(batch);
                tick++;
                var due = TimeSpan.FromMilliseconds(tick * 30) - Stopwatch.GetElapsedTime(started);
                if (due > TimeSpan.Zero)
                {
                    await Task.Delay(due);
                }
            }

            return tick * 10;
        })).ToList();

        var written = (await Task.WhenAll(writers)).Sum();
        await Task.Delay(500);
        var elapsed = Stopwatch.GetElapsedTime(started).TotalSeconds - 0.5;
        var messages = receiver.MessagesReceived - messages0;
        var bytes = receiver.BytesReceived - bytes0;
        report($"- coalesce window {window.TotalMilliseconds} ms: fleet wrote {written / elapsed:F0} keys/s; one instance received "
            + $"{messages / elapsed:F0} messages/s, {bytes / elapsed / 1024:F1} KiB/s of payload (own messages included: {receiver.OwnMessagesIgnored} ignored), "
            + $"{(double)bytes / Math.Max(1, messages):F0} bytes/message");
        foreach (var (hybrid, _, _) in instances)
        {
            await hybrid.DisposeAsync();
        }
    }

    internal static double Percentile(List<double> sorted, double p) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];
}
