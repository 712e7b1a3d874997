using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Caching.Memory;

namespace HybridCaching.Benchmarks.Peers;

/// <summary>
/// The reused fresh hit of <see cref="PeerHitBenchmarks"/> (row 1), not as a BenchmarkDotNet benchmark: the raw
/// runtime <c>MemoryCache.TryGetValue</c>, ours and Microsoft's alternate in short rounds of the same calls, and each
/// keeps its best round, which a loaded or noisy machine disturbs less than a mean. <c>hit-probe [rounds]</c>.
/// </summary>
internal static class HitProbe
{
    public const string Command = "hit-probe";

    private const int Calls = 200_000;

    public static async Task RunAsync(string[] args)
    {
        int rounds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 30;
        using var peers = new MemoryPeers();
        var text = new Factories<string>(PeerValues.Text);
        var dto = new Factories<ImmutableCustomerDto>(PeerValues.ImmutableDto);
        peers.Runtime.Set("string", PeerValues.Text, PeerSettings.Duration);
        peers.Runtime.Set("dto", PeerValues.ImmutableDto, PeerSettings.Duration);

        // A miss stores, the first hit decodes and keeps the value: every later call is a reused hit.
        for (int i = 0; i < 3; i++)
        {
            await peers.Ours.DoAsync("string", text.Ours);
            await peers.Ours.DoAsync("dto", dto.Ours);
            await peers.Microsoft.GetOrCreateAsync("string", text.Microsoft);
            await peers.Microsoft.GetOrCreateAsync("dto", dto.Microsoft);
        }

        Compare(
            "string",
            rounds,
            () => peers.Runtime.TryGetValue("string", out string? value) ? value!.Length : 0,
            () => peers.Ours.DoAsync("string", text.Ours).GetAwaiter().GetResult().Length,
            () => peers.Microsoft.GetOrCreateAsync("string", text.Microsoft).GetAwaiter().GetResult().Length);
        Compare(
            "DTO, [ImmutableObject(true)]",
            rounds,
            () => peers.Runtime.TryGetValue("dto", out ImmutableCustomerDto? value) ? value!.Id : 0,
            () => peers.Ours.DoAsync("dto", dto.Ours).GetAwaiter().GetResult().Id,
            () => peers.Microsoft.GetOrCreateAsync("dto", dto.Microsoft).GetAwaiter().GetResult().Id);
    }

    private static void Compare(string name, int rounds, Func<int> raw, Func<int> ours, Func<int> microsoft)
    {
        double bestRaw = double.MaxValue, bestOurs = double.MaxValue, bestMicrosoft = double.MaxValue;
        for (int r = 0; r < rounds; r++)
        {
            bestRaw = Math.Min(bestRaw, Time(raw));
            bestOurs = Math.Min(bestOurs, Time(ours));
            bestMicrosoft = Math.Min(bestMicrosoft, Time(microsoft));
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        Time(ours);
        double allocated = (GC.GetAllocatedBytesForCurrentThread() - before) / (double)Calls;
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"| {name} | {bestRaw:F1} ns | {bestOurs:F1} ns, **{bestOurs / bestRaw:F2}×**, {allocated:F0} B | {bestMicrosoft:F1} ns, {bestMicrosoft / bestRaw:F2}× |"));
    }

    private static double Time(Func<int> call)
    {
        long start = Stopwatch.GetTimestamp();
        int sum = 0;
        for (int i = 0; i < Calls; i++)
        {
            sum += call();
        }

        GC.KeepAlive(sum);
        return Stopwatch.GetElapsedTime(start).TotalNanoseconds / Calls;
    }
}
