namespace HybridCaching.Benchmarks.Fleet;

/// <summary>What one workload measured at one fleet size: Redis counters per node summed over its events, the workers'
/// counters (<see cref="Worker"/> indexes) summed over events and workers, and every caller's latency in µs.</summary>
internal sealed class WorkloadResult(string workload, int n, int factoryMilliseconds = 0)
{
    // The fields of a worker's "counters" reply.
    public enum Worker
    {
        FactoryRuns,
        MessagesReceived,
        BytesReceived,
        OwnMessagesIgnored,
        MessagesPublished,
        KeysPublished,
        Gaps,
    }

    public string Workload => workload;

    public int N => n;

    public int FactoryMilliseconds => factoryMilliseconds;

    public int Events { get; private set; }

    public long FactoryRuns { get; private set; }

    public List<long> FactoryRunsPerEvent { get; } = [];

    public Dictionary<int, NodeCounters> Nodes { get; } = [];

    public Dictionary<int, NodeCounters> Reread { get; } = [];

    public long RereadFactoryRuns { get; private set; }

    public long[] Workers { get; } = new long[Enum.GetValues<Worker>().Length];

    public List<long> Latencies { get; } = [];

    public long Operations { get; set; }

    public long Writes { get; set; }

    public double Seconds { get; init; }

    public long StartSpreadMicros { get; set; }

    /// <summary>Storm only: counters of the primary holding the value key (<see cref="ValueShard"/>), the lock key and
    /// its notification channel (<see cref="LockShard"/>), and the backplane channel (<see cref="BackplaneShard"/>),
    /// summed over events (each event's key puts them on three different primaries, not always the same ones).</summary>
    public Dictionary<int, NodeCounters> Roles { get; } = [];

    public const int ValueShard = 0;
    public const int LockShard = 1;
    public const int BackplaneShard = 2;

    public long WorkerTotal(Worker field) => Workers[(int)field];

    public void Add(IReadOnlyList<NodeCounters> nodes, long[][] workers, IEnumerable<long> latencies, int events, long factoryRuns)
    {
        Events += events;
        FactoryRuns += factoryRuns;
        Latencies.AddRange(latencies);
        foreach (var worker in workers)
        {
            for (var i = 0; i < Workers.Length; i++)
            {
                Workers[i] += worker[i];
            }
        }

        Merge(Nodes, nodes);
    }

    /// <summary>Adds the Redis counters of the storm's second read (every worker reading the key again once the
    /// storm's announcements have arrived).</summary>
    public void AddRoles(IReadOnlyList<NodeCounters> byRole) => Merge(Roles, byRole);

    public void AddReread(IReadOnlyList<NodeCounters> nodes, long factoryRuns)
    {
        RereadFactoryRuns += factoryRuns;
        Merge(Reread, nodes);
    }

    private static void Merge(Dictionary<int, NodeCounters> sums, IReadOnlyList<NodeCounters> nodes)
    {
        foreach (var node in nodes)
        {
            if (!sums.TryGetValue(node.Port, out var sum))
            {
                sums[node.Port] = node;
                continue;
            }

            var calls = sum.Calls.ToDictionary();
            foreach (var (command, count) in node.Calls)
            {
                calls[command] = calls.GetValueOrDefault(command) + count;
            }

            sums[node.Port] = new NodeCounters(node.Port, calls, sum.NetInput + node.NetInput, sum.NetOutput + node.NetOutput);
        }
    }

    public double Percentile(double p)
    {
        if (Latencies.Count == 0)
        {
            return double.NaN;
        }

        var sorted = Latencies.Order().ToList();
        return sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)] / 1000.0;
    }
}
