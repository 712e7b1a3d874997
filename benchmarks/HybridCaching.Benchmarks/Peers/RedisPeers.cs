using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;
using ZiggyCreatures.Caching.Fusion;
using MsHybridCache = Microsoft.Extensions.Caching.Hybrid.HybridCache;
using OurRedisCache = HybridCaching.Redis.RedisCache;

namespace HybridCaching.Benchmarks.Peers;

/// <summary>
/// Every library over Redis, on a private <c>redis-server</c> (<see cref="LocalRedisServer"/>). Each client has its own
/// connection.
/// </summary>
internal sealed class RedisPeers : IAsyncDisposable
{
    private readonly LocalRedisServer _server;
    private readonly ServiceProvider _microsoftServices;

    private RedisPeers(LocalRedisServer server)
    {
        _server = server;
        var endPoint = server.EndPoint;
        Raw = PeerSettings.MicrosoftRedis(endPoint);
        OursRedis = new OurRedisCache(endPoint);
        Ours = new CacheFunc(OursRedis, PeerSettings.Ours(reuseValues: false));
        OursL1 = PeerSettings.OursMemory();
        OursHybrid = new HybridCache(new OurRedisCache(endPoint), OursL1);
        OursOverHybrid = new CacheFunc(OursHybrid, PeerSettings.Ours(reuseValues: false));
        Fusion = PeerSettings.FusionOverRedis(endPoint);
        _microsoftServices = PeerSettings.Microsoft(endPoint);
        Microsoft = _microsoftServices.GetRequiredService<MsHybridCache>();
    }

    /// <summary>Microsoft's Redis <c>IDistributedCache</c>: a GET of the bytes, nothing decoded (the baseline).</summary>
    public IDistributedCache Raw { get; }

    /// <summary>Our Redis adapter.</summary>
    public OurRedisCache OursRedis { get; }

    /// <summary>Ours over Redis alone: every hit is a Redis hit.</summary>
    public CacheFunc Ours { get; }

    /// <summary>The memory level of <see cref="OursHybrid"/>.</summary>
    public MemoryCache OursL1 { get; }

    /// <summary>Ours over Redis with a memory level (<see cref="OursL1"/>) in front.</summary>
    public HybridCache OursHybrid { get; }

    /// <summary>Ours over <see cref="OursHybrid"/>.</summary>
    public CacheFunc OursOverHybrid { get; }

    /// <summary>FusionCache over Microsoft's Redis <c>IDistributedCache</c>.</summary>
    public FusionCache Fusion { get; }

    /// <summary>Microsoft's HybridCache over its Redis <c>IDistributedCache</c>.</summary>
    public MsHybridCache Microsoft { get; }

    /// <summary>The server's per-command call counts (<c>INFO commandstats</c>): shows that each row went to Redis.</summary>
    public async Task<string> CommandStatsAsync()
    {
        await using var connection = await ConnectionMultiplexer.ConnectAsync(_server.EndPoint + ",allowAdmin=true");
        var info = await connection.GetServer(_server.EndPoint).InfoRawAsync("commandstats");
        return string.Join(' ', (info ?? string.Empty).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(line => line.StartsWith("cmdstat_", StringComparison.Ordinal))
            .Select(line => line["cmdstat_".Length..line.IndexOf(",usec=", StringComparison.Ordinal)])
            .Order(StringComparer.Ordinal));
    }

    public static async Task<RedisPeers> StartAsync() => new(await LocalRedisServer.StartAsync());

    public async ValueTask DisposeAsync()
    {
        Fusion.Dispose();
        await _microsoftServices.DisposeAsync();
        await OursHybrid.DisposeAsync();
        await OursRedis.DisposeAsync();
        ((IDisposable)Raw).Dispose();
        await _server.DisposeAsync();
    }
}
