using System.Diagnostics;
using System.Globalization;

namespace HybridCaching.Testing.Redis;

/// <summary>
/// A local Redis Cluster of 3 primaries + 3 replicas started from <c>redis-server --cluster-enabled yes</c> on free
/// loopback ports and joined with <c>redis-cli --cluster create … --cluster-replicas 1 --cluster-yes</c>; killed and its
/// temp folder deleted when disposed. Share it per test collection (start-up takes a few seconds).
/// </summary>
/// <remarks>
/// Tests that change the topology (<see cref="KillPrimaryAsync"/>, <see cref="ReshardAsync"/>) leave a healthy cluster
/// behind when they call <see cref="RestartNodeAsync"/> for what they killed; the next user can call
/// <see cref="WaitForHealthyAsync"/>. Needs <c>redis-server</c> and <c>redis-cli</c> on PATH (no Docker fallback).
/// </remarks>
public class RedisClusterFixture : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "hc-cluster-" + Guid.NewGuid().ToString("N"));
    private readonly List<RedisProcess> _nodes = [];

    /// <summary>A cluster with a 1 s <c>cluster-node-timeout</c>.</summary>
    public RedisClusterFixture()
        : this(nodeTimeout: TimeSpan.FromSeconds(1))
    {
    }

    /// <summary>A cluster with the given settings (for derived fixtures: xunit wants one public constructor).</summary>
    /// <param name="nodeTimeout">How long a node may not answer before it is flagged failing (drives failover time).</param>
    /// <param name="requireFullCoverage"><c>cluster-require-full-coverage</c>: when true (Redis's default) every node
    /// refuses every key with CLUSTERDOWN while any slot has no live primary; when false only the uncovered slots fail.</param>
    protected RedisClusterFixture(TimeSpan nodeTimeout, bool requireFullCoverage = true)
    {
        NodeTimeout = nodeTimeout;
        RequireFullCoverage = requireFullCoverage;
    }

    /// <summary>The <c>cluster-node-timeout</c>.</summary>
    public TimeSpan NodeTimeout { get; }

    /// <summary>The <c>cluster-require-full-coverage</c> setting.</summary>
    public bool RequireFullCoverage { get; }

    /// <summary>The six node processes (primaries and replicas; roles change with failovers).</summary>
    public IReadOnlyList<RedisProcess> Nodes => _nodes;

    /// <summary>Every node's <c>127.0.0.1:port</c>.</summary>
    public IReadOnlyList<string> EndPoints => _nodes.Select(n => n.EndPoint).ToList();

    /// <summary>A StackExchange.Redis configuration string naming every node (it discovers the topology itself).</summary>
    public string ConfigurationString => string.Join(',', EndPoints);

    /// <summary>How long <see cref="InitializeAsync"/> took (processes started, topology formed, healthy).</summary>
    public TimeSpan StartupTime { get; private set; }

    /// <summary>Starts the six nodes, creates the cluster and waits until every slot is served.</summary>
    /// <returns>A task that completes when the cluster is healthy.</returns>
    public async Task InitializeAsync()
    {
        if (RedisProcess.FindServer() is null)
        {
            throw new InvalidOperationException("redis-server is not on PATH: the Redis Cluster tests need it (apt-get install redis-server redis-tools).");
        }

        RedisCli.EnsureInstalled();
        var clock = Stopwatch.StartNew();
        try
        {
            // Client ports and cluster bus ports chosen explicitly (the default bus port, port + 10000, may be taken or > 65535).
            var ports = RedisProcess.FreePorts(12);
            for (var i = 0; i < 6; i++)
            {
                var directory = Path.Combine(_directory, "node" + i.ToString(CultureInfo.InvariantCulture));
                Directory.CreateDirectory(directory);
                _nodes.Add(new RedisProcess(ports[i], directory, NodeArguments(ports[i], ports[i + 6], directory)));
            }

            await Task.WhenAll(_nodes.Select(n => n.StartAsync())).ConfigureAwait(false);
            await RedisCli.RunAsync(["--cluster", "create", .. EndPoints, "--cluster-replicas", "1", "--cluster-yes"], Timeout).ConfigureAwait(false);
            await WaitForHealthyAsync().ConfigureAwait(false);
            StartupTime = clock.Elapsed;
        }
        catch
        {
            await DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The topology as the first answering node sees it.</summary>
    /// <returns>Every node it knows.</returns>
    public async Task<IReadOnlyList<RedisClusterNode>> GetTopologyAsync()
    {
        InvalidOperationException? last = null;
        foreach (var node in _nodes.Where(n => n.IsRunning && !n.IsPaused))
        {
            try
            {
                return RedisClusterNode.Parse(await RedisCli.CommandAsync(node.Port, "CLUSTER", "NODES").ConfigureAwait(false));
            }
            catch (InvalidOperationException ex)
            {
                last = ex;
            }
        }

        throw new InvalidOperationException("No cluster node answers.", last);
    }

    /// <summary>The primaries (not failing), by ascending first slot.</summary>
    /// <returns>The primaries.</returns>
    public async Task<IReadOnlyList<RedisClusterNode>> GetPrimariesAsync() =>
        (await GetTopologyAsync().ConfigureAwait(false))
            .Where(n => n.IsPrimary && !n.IsFailing && n.Slots.Count > 0)
            .OrderBy(n => n.Slots[0])
            .ToList();

    /// <summary>The primary serving <paramref name="slot"/>.</summary>
    /// <param name="slot">0..16383.</param>
    /// <returns>The node.</returns>
    public async Task<RedisClusterNode> GetPrimaryForSlotAsync(int slot) =>
        (await GetPrimariesAsync().ConfigureAwait(false)).FirstOrDefault(n => n.Slots.Contains(slot))
        ?? throw new InvalidOperationException($"No primary serves slot {slot}.");

    /// <summary>Waits until every running (not paused) node reports <c>cluster_state:ok</c> with all 16384 slots served by
    /// non-failing primaries, agrees on who serves them, and every replica's link to its primary is up.</summary>
    /// <param name="timeout">How long to wait (default 60 s).</param>
    /// <returns>A task that completes when the cluster is healthy.</returns>
    public Task WaitForHealthyAsync(TimeSpan? timeout = null) =>
        RedisCli.WaitUntilAsync(IsHealthyAsync, "a healthy cluster (cluster_state:ok, every slot served, replicas in sync)", timeout ?? Timeout);

    /// <summary>SIGKILLs the primary serving <paramref name="slot"/> (mid-traffic if you like).</summary>
    /// <param name="slot">A slot of the primary to kill.</param>
    /// <returns>The killed node as it was.</returns>
    public async Task<RedisClusterNode> KillPrimaryAsync(int slot)
    {
        var primary = await GetPrimaryForSlotAsync(slot).ConfigureAwait(false);
        await KillNodeAsync(primary).ConfigureAwait(false);
        return primary;
    }

    /// <summary>SIGSTOPs the primary serving <paramref name="slot"/>: its sockets stay open but it answers nothing, so
    /// the other nodes fail it over after <see cref="NodeTimeout"/>. <see cref="ResumeNodeAsync"/> lets it run again.</summary>
    /// <param name="slot">A slot of the primary to stop.</param>
    /// <returns>The stopped node as it was.</returns>
    public async Task<RedisClusterNode> PausePrimaryAsync(int slot)
    {
        var primary = await GetPrimaryForSlotAsync(slot).ConfigureAwait(false);
        await Process(primary).PauseAsync().ConfigureAwait(false);
        return primary;
    }

    /// <summary>SIGCONTs a node stopped by <see cref="PausePrimaryAsync"/> (it rejoins as a replica when it was failed
    /// over) and waits until the cluster is healthy.</summary>
    /// <param name="node">The node to resume.</param>
    /// <returns>A task that completes when the cluster is healthy again.</returns>
    public async Task ResumeNodeAsync(RedisClusterNode node)
    {
        var process = Process(node);
        if (process.IsPaused)
        {
            await process.ResumeAsync().ConfigureAwait(false);
        }

        await WaitForHealthyAsync().ConfigureAwait(false);
    }

    /// <summary>SIGKILLs a node (primary or replica) and waits until its process is gone.</summary>
    /// <param name="node">The node, from <see cref="GetTopologyAsync"/>.</param>
    /// <returns>A task that completes when the process has exited.</returns>
    public Task KillNodeAsync(RedisClusterNode node) => Process(node).KillAsync();

    /// <summary>Waits until a replica of <paramref name="killed"/> has been promoted and serves its slots, and every
    /// running (not paused) node reports <c>cluster_state:ok</c>.</summary>
    /// <param name="killed">The primary that was killed or paused.</param>
    /// <param name="timeout">How long to wait (default 60 s).</param>
    /// <returns>The promoted node.</returns>
    public async Task<RedisClusterNode> WaitForPromotionAsync(RedisClusterNode killed, TimeSpan? timeout = null)
    {
        RedisClusterNode? promoted = null;
        await RedisCli.WaitUntilAsync(
            async () =>
            {
                var primary = await GetPrimaryForSlotAsync(killed.Slots[0]).ConfigureAwait(false);
                if (primary.Id == killed.Id || !await AllRunningNodesReportOkAsync().ConfigureAwait(false))
                {
                    return false;
                }

                promoted = primary;
                return true;
            },
            $"a replica of {killed.EndPoint} to be promoted",
            timeout ?? Timeout).ConfigureAwait(false);
        return promoted!;
    }

    /// <summary>Kills the primary serving <paramref name="slot"/> and waits for its replica's promotion.</summary>
    /// <param name="slot">A slot of the primary to kill.</param>
    /// <returns>What happened, with the time from the kill to a healthy cluster.</returns>
    public async Task<RedisClusterFailover> FailPrimaryAsync(int slot)
    {
        var killed = await KillPrimaryAsync(slot).ConfigureAwait(false);
        var clock = Stopwatch.StartNew();
        var promoted = await WaitForPromotionAsync(killed).ConfigureAwait(false);
        return new RedisClusterFailover(killed, promoted, clock.Elapsed);
    }

    /// <summary>Starts a killed node again on its port with its <c>nodes.conf</c>; it rejoins (as a replica when its
    /// slots moved) and the method waits until the cluster is healthy.</summary>
    /// <param name="node">The node to restart.</param>
    /// <returns>A task that completes when the cluster is healthy again.</returns>
    public async Task RestartNodeAsync(RedisClusterNode node)
    {
        var process = Process(node);
        if (!process.IsRunning)
        {
            await process.StartAsync().ConfigureAwait(false);
        }

        await WaitForHealthyAsync().ConfigureAwait(false);
    }

    /// <summary>The slots <see cref="ReshardAsync"/> moves from <paramref name="from"/>: its lowest <paramref name="count"/> slots.</summary>
    /// <param name="from">The source primary.</param>
    /// <param name="count">How many slots.</param>
    /// <returns>The slots, ascending.</returns>
    public static IReadOnlyList<int> SlotsToMove(RedisClusterNode from, int count) => from.Slots.Order().Take(count).ToList();

    /// <summary>Moves <see cref="SlotsToMove"/>(<paramref name="from"/>, <paramref name="count"/>) with their keys to
    /// <paramref name="to"/> using <c>redis-cli --cluster reshard</c> (CLUSTER SETSLOT IMPORTING/MIGRATING, MIGRATE,
    /// SETSLOT NODE; clients see MOVED/ASK meanwhile). Safe mid-traffic. Checks the slots are served by
    /// <paramref name="to"/> afterwards.</summary>
    /// <param name="from">The source primary.</param>
    /// <param name="to">The target primary.</param>
    /// <param name="count">How many slots.</param>
    /// <returns>The slots moved.</returns>
    public async Task<IReadOnlyList<int>> ReshardAsync(RedisClusterNode from, RedisClusterNode to, int count)
    {
        var slots = SlotsToMove(from, count);
        await RedisCli.RunAsync(
            [
                "--cluster", "reshard", from.EndPoint,
                "--cluster-from", from.Id, "--cluster-to", to.Id,
                "--cluster-slots", count.ToString(CultureInfo.InvariantCulture),
                "--cluster-yes", "--cluster-pipeline", "100",
            ],
            Timeout).ConfigureAwait(false);
        await RedisCli.WaitUntilAsync(
            async () =>
            {
                var target = (await GetTopologyAsync().ConfigureAwait(false)).Single(n => n.Id == to.Id);
                return slots.All(target.Slots.Contains) && await AllRunningNodesReportOkAsync().ConfigureAwait(false);
            },
            $"slots {slots[0]}..{slots[^1]} to be served by {to.EndPoint}",
            Timeout).ConfigureAwait(false);
        return slots;
    }

    /// <summary>Kills every node and deletes the temp folder.</summary>
    /// <returns>A task that completes when done.</returns>
    public async Task DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            await node.DisposeAsync().ConfigureAwait(false);
        }

        RedisServerFixture.DeleteDirectory(_directory);
        GC.SuppressFinalize(this);
    }

    /// <summary>The process of a node.</summary>
    /// <param name="node">The node.</param>
    /// <returns>Its process.</returns>
    public RedisProcess Process(RedisClusterNode node) =>
        _nodes.SingleOrDefault(n => n.Port == node.Port) ?? throw new ArgumentException($"{node.EndPoint} is not a node of this cluster.", nameof(node));

    private List<string> NodeArguments(int port, int busPort, string directory) =>
    [
        "--port", port.ToString(CultureInfo.InvariantCulture),
        "--cluster-port", busPort.ToString(CultureInfo.InvariantCulture),
        "--bind", "127.0.0.1",
        "--protected-mode", "no",
        "--dir", directory,
        "--save", string.Empty,
        "--appendonly", "no",
        "--cluster-enabled", "yes",
        "--cluster-config-file", "nodes.conf",
        "--cluster-node-timeout", ((int)NodeTimeout.TotalMilliseconds).ToString(CultureInfo.InvariantCulture),
        "--cluster-require-full-coverage", RequireFullCoverage ? "yes" : "no",

        // A replica may always take over, however long it was cut off (tests kill primaries on a busy machine).
        "--cluster-replica-validity-factor", "0",

        // Replicas sync at once instead of after the default 5 s wait for more replicas.
        "--repl-diskless-sync-delay", "0",
    ];

    private async Task<bool> IsHealthyAsync()
    {
        if (!await AllRunningNodesReportOkAsync().ConfigureAwait(false))
        {
            return false;
        }

        var views = new List<IReadOnlyList<RedisClusterNode>>();
        foreach (var node in _nodes.Where(n => n.IsRunning && !n.IsPaused))
        {
            views.Add(RedisClusterNode.Parse(await RedisCli.CommandAsync(node.Port, "CLUSTER", "NODES").ConfigureAwait(false)));
        }

        static string Owners(IReadOnlyList<RedisClusterNode> view) =>
            string.Join(';', view.Where(n => n.IsPrimary && n.Slots.Count > 0).OrderBy(n => n.Slots[0]).Select(n => $"{n.Id}:{n.Slots.Count}"));

        var running = _nodes.Where(n => n.IsRunning && !n.IsPaused).Select(n => n.Port).ToHashSet();
        var first = views[0];
        if (views.Any(v => Owners(v) != Owners(first))
            || first.Any(n => running.Contains(n.Port) && n.IsFailing)
            || first.Where(n => n.IsPrimary && n.Slots.Count > 0).Sum(n => n.Slots.Count) != RedisHashSlot.Count)
        {
            return false;
        }

        foreach (var replica in first.Where(n => !n.IsPrimary && running.Contains(n.Port)))
        {
            var info = RedisCli.ParseInfo(await RedisCli.CommandAsync(replica.Port, "INFO", "replication").ConfigureAwait(false));
            if (!info.TryGetValue("master_link_status", out var link) || link != "up")
            {
                return false;
            }
        }

        return true;
    }

    private async Task<bool> AllRunningNodesReportOkAsync()
    {
        foreach (var node in _nodes.Where(n => n.IsRunning && !n.IsPaused))
        {
            var info = RedisCli.ParseInfo(await RedisCli.CommandAsync(node.Port, "CLUSTER", "INFO").ConfigureAwait(false));
            if (info.GetValueOrDefault("cluster_state") != "ok"
                || info.GetValueOrDefault("cluster_slots_ok") != RedisHashSlot.Count.ToString(CultureInfo.InvariantCulture))
            {
                return false;
            }
        }

        return true;
    }
}

/// <summary>The outcome of <see cref="RedisClusterFixture.FailPrimaryAsync"/>.</summary>
/// <param name="Killed">The primary that was SIGKILLed.</param>
/// <param name="Promoted">The replica that took over its slots.</param>
/// <param name="Elapsed">From the kill until the promoted replica served the slots and every node reported <c>cluster_state:ok</c>.</param>
public sealed record RedisClusterFailover(RedisClusterNode Killed, RedisClusterNode Promoted, TimeSpan Elapsed);
