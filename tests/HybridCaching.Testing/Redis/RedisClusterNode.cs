using System.Globalization;

namespace HybridCaching.Testing.Redis;

/// <summary>One node of a cluster as one line of <c>CLUSTER NODES</c> describes it.</summary>
/// <param name="Id">The node id.</param>
/// <param name="Port">Its client port on 127.0.0.1.</param>
/// <param name="IsPrimary">Whether it is a primary (flag <c>master</c>).</param>
/// <param name="PrimaryId">The id of its primary when it is a replica.</param>
/// <param name="IsFailing">Whether it is flagged <c>fail</c> or <c>fail?</c>.</param>
/// <param name="Slots">The slots it serves (primaries), ascending.</param>
public sealed record RedisClusterNode(string Id, int Port, bool IsPrimary, string? PrimaryId, bool IsFailing, IReadOnlyList<int> Slots)
{
    /// <summary><c>127.0.0.1:port</c>.</summary>
    public string EndPoint => $"127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Parses the reply of <c>CLUSTER NODES</c>.</summary>
    /// <param name="reply">The reply text.</param>
    /// <returns>The nodes.</returns>
    public static IReadOnlyList<RedisClusterNode> Parse(string reply) => reply
        .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
        .Select(ParseLine)
        .ToList();

    private static RedisClusterNode ParseLine(string line)
    {
        // <id> <ip:port@cport[,hostname]> <flags> <primary|-> <ping> <pong> <epoch> <link> <slot|a-b|[migrating]>...
        var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var address = fields[1].Split('@')[0];
        var port = int.Parse(address[(address.LastIndexOf(':') + 1)..], CultureInfo.InvariantCulture);
        var flags = fields[2].Split(',');
        var slots = new List<int>();
        foreach (var range in fields.Skip(8).Where(f => !f.StartsWith('[')))
        {
            var dash = range.IndexOf('-', StringComparison.Ordinal);
            var first = int.Parse(dash < 0 ? range : range[..dash], CultureInfo.InvariantCulture);
            var last = dash < 0 ? first : int.Parse(range[(dash + 1)..], CultureInfo.InvariantCulture);
            slots.AddRange(Enumerable.Range(first, last - first + 1));
        }

        return new RedisClusterNode(
            fields[0],
            port,
            flags.Contains("master"),
            fields[3] == "-" ? null : fields[3],
            flags.Contains("fail") || flags.Contains("fail?"),
            slots);
    }
}
