using System.Diagnostics;
using System.Globalization;
using System.Text;
using HybridCaching.Redis;
using HybridCaching.Testing.Redis;
using StackExchange.Redis;

namespace HybridCaching.Benchmarks.Fleet;

/// <summary>
/// The publish outage run (issue 23's goal "a backplane publish failed during a 2 s pub/sub outage: every other server
/// drops its copy within 1 s of recovery"): on the 3+3 cluster (sharded pub/sub), a writer and several readers, each a
/// Hybrid cache on its own multiplexer. Each repetition: the readers hold one key per primary in memory, the writer's ACL
/// user loses PUBLISH and SPUBLISH on every node, the writer writes new values (its announcement fails), two seconds pass,
/// the permissions come back, and each reader is polled every 2 ms until it returns every new value. Writes publish-outage.md.
/// Run: dotnet run -c Release --project benchmarks/HybridCaching.Benchmarks -- publish-outage [results folder] [repetitions] [readers] [outage s]
/// </summary>
internal static class PublishOutageRun
{
    public const string Command = "publish-outage";
    private const string Prefix = "po:";
    private const string Writer = "writer";
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(20);

    private sealed record Member(HybridCache Hybrid, MemoryCache Memory, CacheFunc Func, RedisBackplane Backplane, ConnectionMultiplexer Multiplexer) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Hybrid.DisposeAsync();
            await Multiplexer.DisposeAsync();
        }
    }

    public static async Task RunAsync(string[] args)
    {
        var folder = args.Length > 0 ? args[0] : "benchmarks/results";
        var repetitions = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 10;
        var readerCount = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 3;
        var outage = TimeSpan.FromSeconds(args.Length > 3 ? double.Parse(args[3], CultureInfo.InvariantCulture) : 2);
        var load = new List<string> { await File.ReadAllTextAsync("/proc/loadavg") };
        var cluster = new RedisClusterFixture();
        await cluster.InitializeAsync();
        var members = new List<Member>();
        try
        {
            async Task OnEveryNodeAsync(params string[] command)
            {
                // ACL users are per node: a cluster does not propagate them.
                foreach (var node in cluster.Nodes)
                {
                    await RedisCli.CommandAsync(node.Port, command);
                }
            }

            await OnEveryNodeAsync("ACL", "SETUSER", Writer, "on", ">pw", "~*", "&*", "+@all");
            members.Add(await StartAsync(cluster.ConfigurationString, Writer));
            for (var i = 0; i < readerCount; i++)
            {
                members.Add(await StartAsync(cluster.ConfigurationString, user: null));
            }

            var writer = members[0];
            var readers = members.Skip(1).ToList();
            var primaries = await cluster.GetPrimariesAsync();
            var delays = new List<double>(); // per reader and repetition: from recovery until it returned every new value
            var rows = new List<string>();
            for (var rep = 0; rep <= repetitions; rep++)
            {
                var keys = primaries.Select(p => RedisHashSlot.KeyIn(p.Slots[rep * 11 % p.Slots.Count], "r" + rep.ToString(CultureInfo.InvariantCulture))).ToList();
                long old = 1000 + rep, fresh = 2000 + rep;
                foreach (var key in keys)
                {
                    await writer.Hybrid.SetAsync(key, BackplaneLoadRun.Payload(old), TimeSpan.FromHours(1));
                }

                // A reader copies a value into memory only when no announcement arrived during its fetch: let the writer's land first.
                await Task.Delay(300);
                var held = 0;
                foreach (var reader in readers)
                {
                    foreach (var key in keys)
                    {
                        Check(await reader.Func.DoAsync(key, _ => Task.FromResult(-1L)) == old, "a reader did not read the old value");
                        held += await reader.Memory.GetAsync(key) is null ? 0 : 1;
                    }
                }

                var failedBefore = writer.Backplane.PublishesFailed;
                await OnEveryNodeAsync("ACL", "SETUSER", Writer, "-publish", "-spublish");
                foreach (var key in keys)
                {
                    await writer.Hybrid.SetAsync(key, BackplaneLoadRun.Payload(fresh), TimeSpan.FromHours(1));
                }

                // 2 s is a multiple of the publisher's 250 ms retry interval: without the shift every recovery would meet a retry.
                await Task.Delay(outage + TimeSpan.FromMilliseconds(rep * 97 % 250));
                var stale = 0;
                foreach (var reader in readers)
                {
                    foreach (var key in keys)
                    {
                        stale += await reader.Func.DoAsync(key, _ => Task.FromResult(-1L)) == old ? 1 : 0;
                    }
                }

                var failed = writer.Backplane.PublishesFailed - failedBefore;
                var recovery = Stopwatch.GetTimestamp();
                await OnEveryNodeAsync("ACL", "SETUSER", Writer, "+publish", "+spublish");
                var granted = Stopwatch.GetElapsedTime(recovery).TotalMilliseconds;
                var times = await Task.WhenAll(readers.Select(r => UntilFreshAsync(r, keys, fresh, recovery)));
                if (rep == 0)
                {
                    continue; // warm-up: first ACL changes, first retries
                }

                delays.AddRange(times);
                rows.Add(Invariant($"| {rep} (+{rep * 97 % 250} ms) | {held}/{readers.Count * keys.Count} | {stale}/{readers.Count * keys.Count} | {failed} | {granted:F0} ms | {string.Join(" / ", times.Select(t => t.ToString("F0", CultureInfo.InvariantCulture)))} ms |"));
                Console.WriteLine(rows[^1]);
            }

            load.Add(await File.ReadAllTextAsync("/proc/loadavg"));
            var report = Render(args, readerCount, outage, repetitions, load, delays, rows);
            var path = Path.Combine(folder, "publish-outage.md");
            await File.WriteAllTextAsync(path, report);
            Console.WriteLine(report);
            Console.WriteLine("Written to " + path);
        }
        finally
        {
            foreach (var member in members)
            {
                await member.DisposeAsync();
            }

            await cluster.DisposeAsync();
        }
    }

    // Polls the reader every 2 ms until it returns the new value of every key; the time since the permissions came back.
    private static async Task<double> UntilFreshAsync(Member reader, List<string> keys, long fresh, long recovery)
    {
        var pending = keys.ToList();
        while (pending.Count > 0)
        {
            Check(Stopwatch.GetElapsedTime(recovery) < Guard, "a reader still served a stale value 20 s after recovery");
            var values = new List<long>();
            foreach (var key in pending)
            {
                values.Add(await reader.Func.DoAsync(key, _ => Task.FromResult(-1L)));
            }

            pending = pending.Where((_, i) => values[i] != fresh).ToList();
            if (pending.Count > 0)
            {
                await Task.Delay(2);
            }
        }

        return Stopwatch.GetElapsedTime(recovery).TotalMilliseconds;
    }

    private static async Task<Member> StartAsync(string endPoints, string? user)
    {
        var configuration = ConfigurationOptions.Parse(endPoints);
        configuration.AbortOnConnectFail = false;
        configuration.BacklogPolicy = BacklogPolicy.FailFast;
        if (user is not null)
        {
            configuration.User = user;
            configuration.Password = "pw";
        }

        var multiplexer = await ConnectionMultiplexer.ConnectAsync(configuration);
        var memory = new MemoryCache(100_000, 64 << 20, TimeSpan.FromHours(1));
        var hybrid = new HybridCache(new RedisCache(multiplexer, new RedisCacheOptions { Prefix = Prefix, OperationTimeout = TimeSpan.FromSeconds(2) }), memory);
        var backplane = (RedisBackplane)hybrid.Backplane!;
        await backplane.Subscribed.WaitAsync(Guard);
        return new Member(hybrid, memory, new CacheFunc(hybrid, TimeSpan.FromSeconds(5), TimeSpan.FromHours(1), TimeSpan.FromHours(1)), backplane, multiplexer);
    }

    private static string Render(string[] args, int readers, TimeSpan outage, int repetitions, List<string> load, List<double> delays, List<string> rows)
    {
        var text = new StringBuilder();
        void Line(FormattableString line) => text.AppendLine(line.ToString(CultureInfo.InvariantCulture));
        delays.Sort();
        Line($"# Publish outage: invalidations announced again after a failed publish");
        Line($"");
        Line($"Issue 23's goal: a backplane publish failed during a 2 s pub/sub outage: every other server drops its copy within 1 s of recovery.");
        Line($"");
        Line($"Command: `dotnet run -c Release --project benchmarks/HybridCaching.Benchmarks -- publish-outage {string.Join(' ', args)}` (benchmarks/HybridCaching.Benchmarks/Fleet/PublishOutageRun.cs), run {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC.");
        Line($"");
        Line($"- On the 3+3 cluster from redis-server (the fleet run's fixture): announcements travel by sharded pub/sub (SPUBLISH on the channel's shard).");
        Line($"- One writer and {readers} readers, each a `HybridCache` over its own `RedisCache` and multiplexer (backplane on, default coalesce window). The writer connects as an ACL user created on every node.");
        Line($"- Each repetition: the writer writes one key per primary; once the announcement has landed every reader reads them into memory (\"held\"); the writer's user loses PUBLISH and SPUBLISH on all six nodes (`ACL SETUSER writer -publish -spublish`: its writes still reach Redis, its announcements are refused); the writer writes new values; {outage.TotalSeconds:F0} s pass, plus 0–250 ms varied by repetition (the publisher retries every 250 ms; without the shift recovery would always coincide with a retry) and the readers are checked (\"stale\": still returning the old value from memory); then `+publish +spublish` on every node, and each reader is polled every 2 ms (`CacheFunc.DoAsync` of each key) until it returns every new value. The time is taken from just before the first node gets its permission back (\"ACL applied\": until the sixth has it) to the reader's last key.");
        Line($"- {repetitions} measured repetitions after one warm-up. Load average (1/5/15 min) at start and end: {string.Join(" → ", load.Select(l => string.Join(' ', l.Split(' ').Take(3))))} — a shared 2-core machine.");
        Line($"");
        Line($"From recovery until a reader dropped its stale copies and returned the new values, over {delays.Count} reader×repetition pairs: p50 {BackplaneLoadRun.Percentile(delays, 0.5):F0} ms, p90 {BackplaneLoadRun.Percentile(delays, 0.9):F0} ms, max {delays[^1]:F0} ms; {delays.Count(d => d <= 1000)} of {delays.Count} within 1 s.");
        Line($"");
        Line($"| Rep | Held in memory | Stale after the outage | Failed publishes | ACL applied | Per reader: until fresh |");
        Line($"|---:|---:|---:|---:|---:|---|");
        foreach (var row in rows)
        {
            text.AppendLine(row);
        }

        return text.ToString();
    }

    private static void Check(bool condition, string message)
    {
        if (!condition)
        {
            throw new InvalidOperationException(message);
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
