using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.DependencyInjection;
using ZiggyCreatures.Caching.Fusion;
using MsHybridCache = Microsoft.Extensions.Caching.Hybrid.HybridCache;
using RuntimeMemoryCache = Microsoft.Extensions.Caching.Memory.MemoryCache;

namespace HybridCaching.Benchmarks.Peers;

/// <summary>Every library's cache in memory only (no distributed level), in each mode the tables compare, next to the
/// runtime's <c>MemoryCache</c> (the baseline). Entries are in separate instances, so no row warms another's.</summary>
internal sealed class MemoryPeers : IDisposable
{
    private readonly MemoryCache _oursMemory = PeerSettings.OursMemory();
    private readonly MemoryCache _oursReusingMemory = PeerSettings.OursMemory();
    private readonly ServiceProvider _microsoftServices = PeerSettings.Microsoft(redisEndPoint: null);

    public MemoryPeers()
    {
        Ours = new CacheFunc(_oursMemory, PeerSettings.Ours(reuseValues: false));
        OursReusing = new CacheFunc(_oursReusingMemory, PeerSettings.Ours(reuseValues: true));
        Microsoft = _microsoftServices.GetRequiredService<MsHybridCache>();
    }

    /// <summary>The runtime's cache holding the objects themselves: the floor for an in-process hit.</summary>
    public RuntimeMemoryCache Runtime { get; } = new(new MemoryCacheOptions());

    /// <summary>The runtime's cache with the options the memory adapter needs (a size limit, statistics for its charged
    /// bytes, the TimeProvider as its clock): the floor for a hit through <see cref="HybridCaching.MemoryCache"/>.</summary>
#pragma warning disable CS0618 // ISystemClock: the adapter's way to give the runtime cache a TimeProvider
    public RuntimeMemoryCache RuntimeBounded { get; } = new(new MemoryCacheOptions
    {
        SizeLimit = 64L << 20,
        TrackStatistics = true,
        Clock = new TimeProviderClock(),
    });
#pragma warning restore CS0618

    /// <summary>Ours by default: immutable types (string, [ImmutableObject(true)]) reused, others decoded per caller.</summary>
    public CacheFunc Ours { get; }

    /// <summary>Ours with <c>ReuseValues</c>: every type reused.</summary>
    public CacheFunc OursReusing { get; }

    /// <summary>FusionCache by default: the cached object itself to every caller.</summary>
    public FusionCache Fusion { get; } = PeerSettings.Fusion(autoClone: false);

    /// <summary>FusionCache with <c>EnableAutoClone</c>: a copy per caller.</summary>
    public FusionCache FusionAutoClone { get; } = PeerSettings.Fusion(autoClone: true);

    /// <summary>Microsoft's HybridCache: sealed [ImmutableObject(true)] types and strings reused, others deserialized per caller.</summary>
    public MsHybridCache Microsoft { get; }

    public void Dispose()
    {
        Runtime.Dispose();
        RuntimeBounded.Dispose();
        _oursMemory.Dispose();
        _oursReusingMemory.Dispose();
        Fusion.Dispose();
        FusionAutoClone.Dispose();
        _microsoftServices.Dispose();
    }

#pragma warning disable CS0618
    private sealed class TimeProviderClock : Microsoft.Extensions.Internal.ISystemClock
    {
        public DateTimeOffset UtcNow => TimeProvider.System.GetUtcNow();
    }
#pragma warning restore CS0618
}
