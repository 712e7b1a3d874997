using System.Diagnostics;
using System.Globalization;

namespace HybridCaching.Testing.Redis;

/// <summary>
/// One primary + one replica watched by three sentinels (<c>redis-server sentinel.conf --sentinel</c>) on free loopback
/// ports, service <see cref="ServiceName"/>, with a low <c>down-after-milliseconds</c> and <c>failover-timeout</c>.
/// Killed and its temp folder deleted when disposed. Share it per test collection.
/// </summary>
/// <remarks>Needs <c>redis-server</c> and <c>redis-cli</c> on PATH (no Docker fallback).</remarks>
public class RedisSentinelFixture : IAsyncLifetime
{
    /// <summary>The monitored service name.</summary>
    public const string ServiceName = "mymaster";

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "hc-sentinel-" + Guid.NewGuid().ToString("N"));
    private readonly List<RedisProcess> _servers = [];
    private readonly List<RedisProcess> _sentinels = [];

    /// <summary>The two data servers (primary and replica; roles swap with failovers).</summary>
    public IReadOnlyList<RedisProcess> Servers => _servers;

    /// <summary>The three sentinels.</summary>
    public IReadOnlyList<RedisProcess> Sentinels => _sentinels;

    /// <summary>The sentinels' <c>127.0.0.1:port</c>.</summary>
    public IReadOnlyList<string> SentinelEndPoints => _sentinels.Select(s => s.EndPoint).ToList();

    /// <summary>A StackExchange.Redis configuration string: the sentinels plus <c>serviceName=</c>.</summary>
    public string ConfigurationString => string.Join(',', SentinelEndPoints) + ",serviceName=" + ServiceName;

    /// <summary>How long <see cref="InitializeAsync"/> took (processes started, topology formed, healthy).</summary>
    public TimeSpan StartupTime { get; private set; }

    /// <summary>Starts the servers and sentinels and waits until every sentinel knows the replica and the other sentinels.</summary>
    /// <returns>A task that completes when a failover could run.</returns>
    public async Task InitializeAsync()
    {
        if (RedisProcess.FindServer() is null)
        {
            throw new InvalidOperationException("redis-server is not on PATH: the Redis Sentinel tests need it (apt-get install redis-server redis-tools).");
        }

        RedisCli.EnsureInstalled();
        var clock = Stopwatch.StartNew();
        try
        {
            var ports = RedisProcess.FreePorts(5);
            var primary = NewServer(ports[0], "primary", []);
            var replica = NewServer(ports[1], "replica", ["--replicaof", "127.0.0.1", ports[0].ToString(CultureInfo.InvariantCulture)]);
            await Task.WhenAll(primary.StartAsync(), replica.StartAsync()).ConfigureAwait(false);

            // Sentinels learn replicas from the primary's INFO, on connect and then every 10 s: start them once the
            // replica is linked, so the first INFO already lists it.
            await RedisCli.WaitUntilAsync(
                async () => RedisCli.ParseInfo(await RedisCli.CommandAsync(replica.Port, "INFO", "replication").ConfigureAwait(false))
                    .GetValueOrDefault("master_link_status") == "up",
                "the replica to link to the primary",
                Timeout).ConfigureAwait(false);
            for (var i = 0; i < 3; i++)
            {
                _sentinels.Add(NewSentinel(ports[2 + i], i, ports[0]));
            }

            await Task.WhenAll(_sentinels.Select(s => s.StartAsync())).ConfigureAwait(false);
            await WaitForHealthyAsync().ConfigureAwait(false);
            StartupTime = clock.Elapsed;
        }
        catch
        {
            await DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The primary's port as the first answering sentinel reports it.</summary>
    /// <returns>The port.</returns>
    public async Task<int> GetPrimaryPortAsync()
    {
        InvalidOperationException? last = null;
        foreach (var sentinel in _sentinels.Where(s => s.IsRunning))
        {
            try
            {
                return await PrimaryPortAsync(sentinel).ConfigureAwait(false);
            }
            catch (InvalidOperationException ex)
            {
                last = ex;
            }
        }

        throw new InvalidOperationException("No sentinel answers.", last);
    }

    /// <summary>The data server process that currently is the primary (as the sentinels report it).</summary>
    /// <returns>The process.</returns>
    public async Task<RedisProcess> GetPrimaryAsync()
    {
        var port = await GetPrimaryPortAsync().ConfigureAwait(false);
        return _servers.Single(s => s.Port == port);
    }

    /// <summary>Waits until all sentinels agree on a primary that says it is one, each sees the other two sentinels,
    /// and the replica is linked to the primary and known to every sentinel.</summary>
    /// <param name="timeout">How long to wait (default 60 s).</param>
    /// <returns>A task that completes when healthy.</returns>
    public Task WaitForHealthyAsync(TimeSpan? timeout = null) =>
        RedisCli.WaitUntilAsync(IsHealthyAsync, "sentinels agreeing on a primary with a linked replica", timeout ?? Timeout);

    /// <summary>Waits until healthy, sends <c>SENTINEL FAILOVER</c> to a sentinel (no agreement needed) and waits until
    /// every sentinel reports the other server as primary. The old primary is then being turned into its replica:
    /// call <see cref="WaitForHealthyAsync"/> before relying on replication.</summary>
    /// <remarks>
    /// On a loaded machine a forced failover can be refused (<c>NOGOODSLAVE</c>: the sentinel's last word from the
    /// replica is a few seconds old) or give up (<c>failover-timeout</c> passes before the promotion shows), and then
    /// nothing retries it: the primary is healthy. So while the sentinel still names the old primary and runs no
    /// failover, the command is sent again. Never once it has switched: that would start a failover back.
    /// </remarks>
    /// <returns>The old and new primary ports and the time until the sentinels reported the new primary.</returns>
    public async Task<RedisSentinelFailover> FailoverAsync()
    {
        await WaitForHealthyAsync().ConfigureAwait(false);
        var old = await GetPrimaryPortAsync().ConfigureAwait(false);
        var clock = Stopwatch.StartNew();
        var reported = await WaitForNewPrimaryAsync(old, () => StartFailoverUnlessRunningAsync(old)).ConfigureAwait(false);
        return new RedisSentinelFailover(old, reported, clock.Elapsed);
    }

    /// <summary>SIGKILLs the current primary and waits until every sentinel reports the replica as the new primary
    /// (failure detection after <c>down-after-milliseconds</c>, agreement, election, promotion).</summary>
    /// <returns>The old and new primary ports and the time from the kill until every sentinel reported the new primary.</returns>
    public async Task<RedisSentinelFailover> KillPrimaryAsync()
    {
        await WaitForHealthyAsync().ConfigureAwait(false);
        var old = await GetPrimaryAsync().ConfigureAwait(false);
        var clock = Stopwatch.StartNew();
        await old.KillAsync().ConfigureAwait(false);
        var reported = await WaitForNewPrimaryAsync(old.Port).ConfigureAwait(false);
        return new RedisSentinelFailover(old.Port, reported, clock.Elapsed);
    }

    /// <summary>Starts a killed data server again on its port (it comes back as a primary until the sentinels turn it
    /// into a replica, which they do on their 10 s INFO period) and waits until healthy.</summary>
    /// <param name="port">The server's port.</param>
    /// <returns>A task that completes when healthy.</returns>
    public async Task RestartServerAsync(int port)
    {
        var server = _servers.Single(s => s.Port == port);
        if (!server.IsRunning)
        {
            await server.StartAsync().ConfigureAwait(false);
        }

        await WaitForHealthyAsync().ConfigureAwait(false);
    }

    /// <summary>Kills every process and deletes the temp folder.</summary>
    /// <returns>A task that completes when done.</returns>
    public async Task DisposeAsync()
    {
        foreach (var process in _sentinels.Concat(_servers))
        {
            await process.DisposeAsync().ConfigureAwait(false);
        }

        RedisServerFixture.DeleteDirectory(_directory);
        GC.SuppressFinalize(this);
    }

    /// <summary>Sends <c>SENTINEL FAILOVER</c> to the first sentinel while it names <paramref name="old"/> as primary and
    /// runs no failover (its reply — OK, or why not — does not matter: the caller polls for the outcome).</summary>
    private async Task StartFailoverUnlessRunningAsync(int old)
    {
        var master = ParsePairs(await RedisCli.CommandAsync(_sentinels[0].Port, "SENTINEL", "MASTER", ServiceName).ConfigureAwait(false));
        if (master.GetValueOrDefault("port") == old.ToString(CultureInfo.InvariantCulture)
            && !master.GetValueOrDefault("flags", string.Empty).Contains("failover", StringComparison.Ordinal))
        {
            await RedisCli.CommandAsync(_sentinels[0].Port, "SENTINEL", "FAILOVER", ServiceName).ConfigureAwait(false);
        }
    }

    private async Task<int> WaitForNewPrimaryAsync(int old, Func<Task>? whileWaiting = null)
    {
        int? reported = null;
        await RedisCli.WaitUntilAsync(
            async () =>
            {
                if (whileWaiting is not null)
                {
                    await whileWaiting().ConfigureAwait(false);
                }

                var ports = new HashSet<int>();
                foreach (var sentinel in _sentinels)
                {
                    ports.Add(await PrimaryPortAsync(sentinel).ConfigureAwait(false));
                }

                if (ports.Count != 1 || ports.Single() == old
                    || !(await RedisCli.CommandAsync(ports.Single(), "ROLE").ConfigureAwait(false)).StartsWith("master", StringComparison.Ordinal))
                {
                    return false;
                }

                reported = ports.Single();
                return true;
            },
            $"every sentinel to report a primary other than port {old}, and it to say it is one",
            Timeout).ConfigureAwait(false);
        return reported!.Value;
    }

    private static async Task<int> PrimaryPortAsync(RedisProcess sentinel)
    {
        var reply = (await RedisCli.CommandAsync(sentinel.Port, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", ServiceName).ConfigureAwait(false))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return reply.Length == 2
            ? int.Parse(reply[1], CultureInfo.InvariantCulture)
            : throw new InvalidOperationException($"Sentinel {sentinel.EndPoint} does not know {ServiceName}.");
    }

    private async Task<bool> IsHealthyAsync()
    {
        var primary = await PrimaryPortAsync(_sentinels[0]).ConfigureAwait(false);
        foreach (var sentinel in _sentinels)
        {
            // Sentinels refresh what they know of replicas every 10 s only, so the replica's link is checked on the server itself.
            var master = ParsePairs(await RedisCli.CommandAsync(sentinel.Port, "SENTINEL", "MASTER", ServiceName).ConfigureAwait(false));
            if (master.GetValueOrDefault("port") != primary.ToString(CultureInfo.InvariantCulture)
                || master.GetValueOrDefault("flags") != "master"
                || master.GetValueOrDefault("num-other-sentinels") != "2"
                || master.GetValueOrDefault("num-slaves") is null or "0")
            {
                return false;
            }
        }

        var role = await RedisCli.CommandAsync(primary, "ROLE").ConfigureAwait(false);
        var replica = _servers.Single(s => s.Port != primary);
        if (!replica.IsRunning)
        {
            // A killed server not restarted yet: the primary alone is as healthy as it gets.
            return role.StartsWith("master", StringComparison.Ordinal);
        }

        var replicaPort = replica.Port;
        var replication = RedisCli.ParseInfo(await RedisCli.CommandAsync(replicaPort, "INFO", "replication").ConfigureAwait(false));
        return role.StartsWith("master", StringComparison.Ordinal)
            && replication.GetValueOrDefault("master_port") == primary.ToString(CultureInfo.InvariantCulture)
            && replication.GetValueOrDefault("master_link_status") == "up";
    }

    // A raw SENTINEL MASTER reply: name and value on alternate lines.
    private static Dictionary<string, string> ParsePairs(string reply)
    {
        var lines = reply.Split('\n', StringSplitOptions.TrimEntries);
        var pairs = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < lines.Length; i += 2)
        {
            pairs.TryAdd(lines[i], lines[i + 1]);
        }

        return pairs;
    }

    private RedisProcess NewServer(int port, string name, IReadOnlyList<string> extra)
    {
        var directory = Path.Combine(_directory, name);
        Directory.CreateDirectory(directory);
        var server = new RedisProcess(
            port,
            directory,
            [
                "--port", port.ToString(CultureInfo.InvariantCulture),
                "--bind", "127.0.0.1",
                "--protected-mode", "no",
                "--dir", directory,
                "--save", string.Empty,
                "--appendonly", "no",

                // Replicas sync at once instead of after the default 5 s wait for more replicas.
                "--repl-diskless-sync-delay", "0",
                .. extra,
            ]);
        _servers.Add(server);
        return server;
    }

    private RedisProcess NewSentinel(int port, int index, int primaryPort)
    {
        // Sentinels rewrite their config file, so each gets its own in its own folder.
        var directory = Path.Combine(_directory, "sentinel" + index.ToString(CultureInfo.InvariantCulture));
        Directory.CreateDirectory(directory);
        var config = Path.Combine(directory, "sentinel.conf");
        File.WriteAllLines(config,
        [
            $"port {port.ToString(CultureInfo.InvariantCulture)}",
            "bind 127.0.0.1",
            "protected-mode no",
            $"dir {directory}",
            $"sentinel monitor {ServiceName} 127.0.0.1 {primaryPort.ToString(CultureInfo.InvariantCulture)} 2",
            $"sentinel down-after-milliseconds {ServiceName} 1000",
            $"sentinel failover-timeout {ServiceName} 5000",
            $"sentinel parallel-syncs {ServiceName} 1",
        ]);
        return new RedisProcess(port, directory, [config, "--sentinel"]);
    }
}

/// <summary>The outcome of <see cref="RedisSentinelFixture.FailoverAsync"/> and <see cref="RedisSentinelFixture.KillPrimaryAsync"/>.</summary>
/// <param name="OldPrimaryPort">The primary before.</param>
/// <param name="NewPrimaryPort">The primary after.</param>
/// <param name="Elapsed">From <c>SENTINEL FAILOVER</c> (or the kill) until every sentinel reported the new primary.</param>
public sealed record RedisSentinelFailover(int OldPrimaryPort, int NewPrimaryPort, TimeSpan Elapsed);
