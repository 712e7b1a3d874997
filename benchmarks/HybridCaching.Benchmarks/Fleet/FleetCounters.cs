using System.Globalization;
using StackExchange.Redis;

namespace HybridCaching.Benchmarks.Fleet;

/// <summary>One node's Redis counters (<c>INFO stats commandstats</c>), or the difference between two readings.</summary>
/// <remarks>A difference leaves out the first reading's own INFO request and reply (counted by Redis after it read its
/// counters), so the coordinator's readings do not show up as traffic.</remarks>
internal sealed record NodeCounters(int Port, IReadOnlyDictionary<string, long> Calls, long NetInput, long NetOutput, int InfoReplyBytes = 0)
{
    // Connection upkeep (the clients' handshakes and heartbeats, replicas' acknowledgements, the coordinator's own INFO), not cache work.
    // "*3\r\n$4\r\nINFO\r\n$5\r\nstats\r\n$12\r\ncommandstats\r\n"
    private const int InfoRequestBytes = 45;

    private static readonly HashSet<string> Upkeep = ["info", "ping", "echo", "cluster", "client", "config", "command", "hello", "select", "readonly", "subscribe", "unsubscribe", "replconf"];

    public long CacheCalls => Calls.Where(c => IsCacheCommand(c.Key)).Sum(c => c.Value);

    public static bool IsCacheCommand(string command) => !Upkeep.Contains(command);

    public long CacheCallsOf(string command) => Calls.TryGetValue(command, out var calls) ? calls : 0;

    public static async Task<IReadOnlyList<NodeCounters>> ReadAsync(IConnectionMultiplexer admin, IReadOnlyList<int> ports)
    {
        var readings = await Task.WhenAll(ports.Select(async port =>
        {
            var server = admin.GetServer("127.0.0.1", port);
            var text = (string)(await server.ExecuteAsync("INFO", "stats", "commandstats"))!;
            return Parse(port, text);
        }));
        return readings;
    }

    public static IReadOnlyList<NodeCounters> Delta(IReadOnlyList<NodeCounters> before, IReadOnlyList<NodeCounters> after)
        => after.Select(a =>
        {
            var b = before.Single(n => n.Port == a.Port);
            var calls = a.Calls.ToDictionary(c => c.Key, c => c.Value - (b.Calls.TryGetValue(c.Key, out var v) ? v : 0));
            return new NodeCounters(a.Port, calls.Where(c => c.Value != 0).ToDictionary(), a.NetInput - b.NetInput - InfoRequestBytes, a.NetOutput - b.NetOutput - b.InfoReplyBytes);
        }).ToList();

    private static NodeCounters Parse(int port, string text)
    {
        var calls = new Dictionary<string, long>(StringComparer.Ordinal);
        long input = 0, output = 0;
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.StartsWith("cmdstat_", StringComparison.Ordinal))
            {
                // cmdstat_set:calls=12,usec=34,usec_per_call=2.83,rejected_calls=0,failed_calls=0
                var name = line[8..line.IndexOf(':', StringComparison.Ordinal)];
                var callsField = line.Split(':', 2)[1].Split(',').First(f => f.StartsWith("calls=", StringComparison.Ordinal));
                calls[name] = long.Parse(callsField[6..], CultureInfo.InvariantCulture);
            }
            else if (line.StartsWith("total_net_input_bytes:", StringComparison.Ordinal))
            {
                input = long.Parse(line[22..], CultureInfo.InvariantCulture);
            }
            else if (line.StartsWith("total_net_output_bytes:", StringComparison.Ordinal))
            {
                output = long.Parse(line[23..], CultureInfo.InvariantCulture);
            }
        }

        return new NodeCounters(port, calls, input, output, text.Length + 8); // + "$<length>\r\n" and "\r\n"
    }
}
