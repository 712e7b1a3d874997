using System.Diagnostics;
using System.Globalization;
using HybridCaching.Redis;
using StackExchange.Redis;

namespace HybridCaching.Benchmarks.Fleet;

/// <summary>
/// One worker process of the fleet load run (issue 23): a Hybrid cache (memory over <see cref="RedisCache"/>, backplane
/// on, the library's defaults otherwise) on the cluster, driven by one-line commands on stdin, answering one line on
/// stdout per command (<see cref="FleetProtocol"/>). It counts its own factory runs and its backplane's received
/// messages; Redis's own counters are read by the coordinator.
/// </summary>
internal static class FleetWorker
{
    public const string Command = "fleet-worker";

    // Fixed-length burst keys ("b" + worker + index), so received keys can be counted from received bytes.
    public static string BurstKey(int worker, int index) => "b" + worker.ToString("D2", CultureInfo.InvariantCulture) + index.ToString("D7", CultureInfo.InvariantCulture);

    public static string SteadyKey(int index) => "s" + index.ToString("D4", CultureInfo.InvariantCulture);

    public static async Task<int> RunAsync(string[] args)
    {
        var endPoints = args[0];
        var prefix = args[1];
        var worker = int.Parse(args[2], CultureInfo.InvariantCulture);
        var factoryDelay = TimeSpan.FromMilliseconds(int.Parse(args[3], CultureInfo.InvariantCulture));

        var configuration = ConfigurationOptions.Parse(endPoints);
        configuration.AbortOnConnectFail = false;
        await using var multiplexer = await ConnectionMultiplexer.ConnectAsync(configuration);

        // OperationTimeout raised from 500 ms to 2 s: up to 33 processes share 2 cores with the six redis-servers, and a
        // 500 ms scheduling stall would put a worker into fail-fast and distort the command counts.
        var redis = new RedisCache(multiplexer, new RedisCacheOptions { Prefix = prefix, OperationTimeout = TimeSpan.FromSeconds(2) });
        await using var hybrid = new HybridCache(redis, new MemoryCache(100_000, 256 << 20, TimeSpan.FromHours(1)));
        var backplane = (RedisBackplane)hybrid.Backplane!;
        await backplane.Subscribed;
        var func = new CacheFunc(hybrid, TimeSpan.FromSeconds(10), TimeSpan.FromHours(1), TimeSpan.FromHours(1));
        long factoryRuns = 0;
        async Task<long> Run(TimeSpan delay, CancellationToken token)
        {
            Interlocked.Increment(ref factoryRuns);
            await Task.Delay(delay, token);
            return 42;
        }

        Task<long> Factory(CancellationToken token) => Run(factoryDelay, token);

        Console.Out.WriteLine(FleetProtocol.Ready);
        Console.Out.Flush();
        while (await Console.In.ReadLineAsync() is { } line)
        {
            var parts = line.Split(' ');
            string reply;
            switch (parts[0])
            {
                case "storm":
                    {
                        // storm <key> <start unix ms> <factory ms>; "read <key>" is the same call without a start instant.
                        var delay = TimeSpan.FromMilliseconds(int.Parse(parts[3], CultureInfo.InvariantCulture));
                        var start = await WaitUntilAsync(long.Parse(parts[2], CultureInfo.InvariantCulture));
                        var runsBefore = Interlocked.Read(ref factoryRuns);
                        var began = Stopwatch.GetTimestamp();
                        await func.DoAsync(parts[1], token => Run(delay, token));
                        var latency = Stopwatch.GetElapsedTime(began);
                        reply = $"{Interlocked.Read(ref factoryRuns) - runsBefore} {start} {Micros(latency)}";
                        break;
                    }

                case "read":
                    {
                        var runsBefore = Interlocked.Read(ref factoryRuns);
                        await func.DoAsync(parts[1], Factory);
                        reply = (Interlocked.Read(ref factoryRuns) - runsBefore).ToString(CultureInfo.InvariantCulture);
                        break;
                    }

                case "prefill":
                    {
                        var keys = int.Parse(parts[1], CultureInfo.InvariantCulture);
                        for (var k = 0; k < keys; k += 16)
                        {
                            await Task.WhenAll(Enumerable.Range(k, Math.Min(16, keys - k)).Select(i => func.DoAsync(SteadyKey(i), Factory).AsTask()));
                        }

                        reply = "done";
                        break;
                    }

                case "steady":
                    reply = await SteadyAsync(func, Factory, parts);
                    break;

                case "burst":
                    reply = await BurstAsync(func, worker, parts);
                    break;

                case "counters":
                    reply = string.Join(' ', Interlocked.Read(ref factoryRuns), Interlocked.Read(ref backplane.MessagesReceived), Interlocked.Read(ref backplane.BytesReceived),
                        Interlocked.Read(ref backplane.OwnMessagesIgnored), Interlocked.Read(ref backplane.MessagesPublished), Interlocked.Read(ref backplane.KeysPublished), Interlocked.Read(ref backplane.Gaps));
                    break;

                case "quit":
                    return 0;

                default:
                    reply = "error unknown command " + parts[0];
                    break;
            }

            Console.Out.WriteLine(FleetProtocol.ReplyPrefix + reply);
            Console.Out.Flush();
        }

        return 0;
    }

    // steady <seconds> <ops per second for this worker> <keys> <seed> <start unix ms>: reads through DoAsync, 1 % SetAsync.
    private static async Task<string> SteadyAsync(CacheFunc func, Func<CancellationToken, Task<long>> factory, string[] parts)
    {
        var seconds = double.Parse(parts[1], CultureInfo.InvariantCulture);
        var rate = double.Parse(parts[2], CultureInfo.InvariantCulture);
        var keys = int.Parse(parts[3], CultureInfo.InvariantCulture);
        var random = new Random(int.Parse(parts[4], CultureInfo.InvariantCulture));
        await WaitUntilAsync(long.Parse(parts[5], CultureInfo.InvariantCulture));
        var total = (int)(seconds * rate);
        var latencies = new List<long>(total);
        var started = Stopwatch.GetTimestamp();
        var writes = 0;
        for (var i = 0; i < total; i++)
        {
            await PaceAsync(started, i / rate);
            var key = SteadyKey(random.Next(keys));
            var began = Stopwatch.GetTimestamp();
            if (random.NextDouble() < 0.01)
            {
                writes++;
                await func.SetAsync(key, (long)i);
            }
            else
            {
                await func.DoAsync(key, factory);
            }

            latencies.Add(Micros(Stopwatch.GetElapsedTime(began)));
        }

        return $"{total} {writes} {string.Join(',', latencies)}";
    }

    // burst <seconds> <keys per second for this worker> <start unix ms>: SetAsync of new keys at a fixed rate.
    private static async Task<string> BurstAsync(CacheFunc func, int worker, string[] parts)
    {
        var seconds = double.Parse(parts[1], CultureInfo.InvariantCulture);
        var rate = double.Parse(parts[2], CultureInfo.InvariantCulture);
        await WaitUntilAsync(long.Parse(parts[3], CultureInfo.InvariantCulture));
        var total = (int)(seconds * rate);
        var latencies = new long[total];
        var pending = new List<Task>(total);
        var started = Stopwatch.GetTimestamp();
        for (var i = 0; i < total; i++)
        {
            await PaceAsync(started, i / rate);
            var index = i;
            pending.Add(Task.Run(async () =>
            {
                var began = Stopwatch.GetTimestamp();
                await func.SetAsync(BurstKey(worker, index), (long)index);
                latencies[index] = Micros(Stopwatch.GetElapsedTime(began));
            }));
        }

        await Task.WhenAll(pending);
        return $"{total} 0 {string.Join(',', latencies)}";
    }

    private static async Task PaceAsync(long started, double dueSeconds)
    {
        var wait = TimeSpan.FromSeconds(dueSeconds) - Stopwatch.GetElapsedTime(started);
        if (wait > TimeSpan.FromMilliseconds(1))
        {
            await Task.Delay(wait);
        }
    }

    // Waits for a wall-clock instant shared by every worker (all on one machine, one clock); returns how late this
    // worker started, in µs.
    private static async Task<long> WaitUntilAsync(long unixMilliseconds)
    {
        var target = DateTimeOffset.FromUnixTimeMilliseconds(unixMilliseconds);
        var wait = target - DateTimeOffset.UtcNow;
        if (wait > TimeSpan.FromMilliseconds(3))
        {
            await Task.Delay(wait - TimeSpan.FromMilliseconds(2));
        }

        while (DateTimeOffset.UtcNow < target)
        {
            Thread.Yield();
        }

        return Micros(DateTimeOffset.UtcNow - target);
    }

    private static long Micros(TimeSpan span) => (long)(span.TotalMilliseconds * 1000);
}
