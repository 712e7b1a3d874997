using System.Globalization;

namespace HybridCaching.Benchmarks.Peers;

/// <summary>
/// Counts factory calls and operations in a benchmark process and hands the totals to <see cref="FactoryCallsColumn"/>
/// in the host process through a file named after the benchmark (BenchmarkDotNet passes <c>--benchmarkName</c> to
/// every benchmark process). Also printed, so the counts are in the run's log.
/// </summary>
internal static class FactoryCalls
{
    private static long s_calls;
    private static long s_ops;

    public static void Increment() => Interlocked.Increment(ref s_calls);

    /// <summary>Counts an operation; call from one thread at a time.</summary>
    public static void AddOp() => s_ops++;

    /// <summary>Starts counting afresh (after setup has filled the caches) and removes a previous run's file.</summary>
    public static void Reset()
    {
        s_calls = 0;
        s_ops = 0;
        if (FilePath(BenchmarkName()) is { } path && File.Exists(path))
        {
            File.Delete(path);
        }
    }

    /// <summary>Writes and prints the totals.</summary>
    public static void Record()
    {
        var name = BenchmarkName();
        Console.WriteLine($"// factory calls: {s_calls} in {s_ops} operations ({name})");
        if (FilePath(name) is { } path)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, string.Create(CultureInfo.InvariantCulture, $"{s_calls} {s_ops}"));
        }
    }

    /// <summary>Reads the totals a benchmark process wrote.</summary>
    public static (long Calls, long Ops)? Read(string benchmarkName)
    {
        var path = FilePath(benchmarkName);
        if (path is null || !File.Exists(path))
        {
            return null;
        }

        var parts = File.ReadAllText(path).Split(' ');
        return (long.Parse(parts[0], CultureInfo.InvariantCulture), long.Parse(parts[1], CultureInfo.InvariantCulture));
    }

    private static string? FilePath(string? benchmarkName) => benchmarkName is null
        ? null
        : Path.Combine(Path.GetTempPath(), "hybridcaching-benchmarks", "factory-calls", benchmarkName + ".txt");

    private static string? BenchmarkName()
    {
        var args = Environment.GetCommandLineArgs();
        var at = Array.IndexOf(args, "--benchmarkName");
        return at >= 0 && at + 1 < args.Length ? args[at + 1] : null;
    }
}
