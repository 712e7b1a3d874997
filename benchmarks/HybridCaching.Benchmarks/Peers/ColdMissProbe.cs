using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Caching.Memory;

namespace HybridCaching.Benchmarks.Peers;

/// <summary>
/// The cold miss of <see cref="PeerColdMissBenchmarks"/> (row 4), not as a BenchmarkDotNet benchmark: the raw runtime
/// <c>MemoryCache</c> (<c>TryGetValue</c> then <c>Set</c>), ours and Microsoft's alternate in rounds of the same number
/// of never-asked keys on new, empty caches, and each keeps its best round, which a loaded or noisy machine disturbs
/// less than a mean. <c>cold-probe [rounds] [only: raw|ours|microsoft]</c> (one library alone: for a profiler). With
/// <c>COLD_PROBE_DETAIL</c> set, every round also prints the GC pause per call and the bytes each entry holds after it.
/// </summary>
internal static class ColdMissProbe
{
    public const string Command = "cold-probe";

    private const int Calls = 65_536;

    public static async Task RunAsync(string[] args)
    {
        int rounds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 20;
        string? only = args.Length > 1 ? args[1] : null;
        var keys = Enumerable.Range(0, Calls).Select(i => "miss:" + i).ToArray();
        var text = new Factories<string>(PeerValues.Text);
        var dto = new Factories<CustomerDto>(PeerValues.Dto);
        await Compare("string", rounds, only, keys,
            (peers, key) => peers.Runtime.TryGetValue(key, out string? value) ? value!.Length : peers.Runtime.Set(key, PeerValues.Text, PeerSettings.Duration).Length,
            async (peers, key) => (await peers.Ours.DoAsync(key, text.Ours)).Length,
            async (peers, key) => (await peers.Microsoft.GetOrCreateAsync(key, text.Microsoft)).Length);
        await Compare("DTO", rounds, only, keys,
            (peers, key) => peers.Runtime.TryGetValue(key, out CustomerDto? value) ? value!.Id : peers.Runtime.Set(key, PeerValues.Dto, PeerSettings.Duration).Id,
            async (peers, key) => (await peers.Ours.DoAsync(key, dto.Ours)).Id,
            async (peers, key) => (await peers.Microsoft.GetOrCreateAsync(key, dto.Microsoft)).Id);
    }

    private static async Task Compare(
        string name, int rounds, string? only, string[] keys,
        Func<MemoryPeers, string, int> raw, Func<MemoryPeers, string, ValueTask<int>> ours, Func<MemoryPeers, string, ValueTask<int>> microsoft)
    {
        double bestRaw = double.MaxValue, bestOurs = double.MaxValue, bestMicrosoft = double.MaxValue;
        double oursBytes = 0, microsoftBytes = 0;
        for (int r = 0; r < rounds; r++)
        {
            if (only is null or "raw")
            {
                bestRaw = Math.Min(bestRaw, (await TimeAsync(keys, (peers, key) => new ValueTask<int>(raw(peers, key)))).Nanoseconds);
            }

            if (only is null or "ours")
            {
                var (ns, bytes) = await TimeAsync(keys, ours);
                (bestOurs, oursBytes) = (Math.Min(bestOurs, ns), bytes);
            }

            if (only is null or "microsoft")
            {
                var (ns, bytes) = await TimeAsync(keys, microsoft);
                (bestMicrosoft, microsoftBytes) = (Math.Min(bestMicrosoft, ns), bytes);
            }
        }

        Console.WriteLine(only is null
            ? string.Create(
                CultureInfo.InvariantCulture,
                $"| {name} | {bestRaw:F0} ns | {bestOurs:F0} ns, **{bestOurs / bestRaw:F2}×**, {oursBytes:F0} B | {bestMicrosoft:F0} ns, {bestMicrosoft / bestRaw:F2}×, {microsoftBytes:F0} B |")
            : string.Create(
                CultureInfo.InvariantCulture,
                $"| {name} | {only} | {Math.Min(bestRaw, Math.Min(bestOurs, bestMicrosoft)):F0} ns | {Math.Max(oursBytes, microsoftBytes):F0} B |"));
    }

    // One round: new, empty caches, then every key once; what a call took and allocated on average.
    private static async Task<(double Nanoseconds, double Bytes)> TimeAsync(string[] keys, Func<MemoryPeers, string, ValueTask<int>> call)
    {
        using var peers = new MemoryPeers();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        long heldBefore = GC.GetTotalMemory(true);
        var paused = GC.GetTotalPauseDuration();
        long allocated = GC.GetAllocatedBytesForCurrentThread();
        long start = Stopwatch.GetTimestamp();
        int sum = 0;
        foreach (var key in keys)
        {
            sum += await call(peers, key);
        }

        double ns = Stopwatch.GetElapsedTime(start).TotalNanoseconds / keys.Length;
        double bytes = (GC.GetAllocatedBytesForCurrentThread() - allocated) / (double)keys.Length;
        if (Environment.GetEnvironmentVariable("COLD_PROBE_DETAIL") is not null)
        {
            double pause = (GC.GetTotalPauseDuration() - paused).TotalNanoseconds / keys.Length;
            double held = (GC.GetTotalMemory(true) - heldBefore) / (double)keys.Length;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {ns:F0} ns/call, GC pause {pause:F0} ns/call, held {held:F0} B/entry, allocated {bytes:F0} B/call"));
        }

        GC.KeepAlive(sum);
        return (ns, bytes);
    }
}
