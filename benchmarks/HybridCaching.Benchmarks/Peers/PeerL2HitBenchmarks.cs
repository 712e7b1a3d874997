using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.Hybrid;
using ZiggyCreatures.Caching.Fusion;

namespace HybridCaching.Benchmarks.Peers;

/// <summary>
/// Table row 3: a hit on Redis (L2) with the memory level (L1) cold, one caller, on a local <c>redis-server</c>.
/// Ours over Redis alone, and over Hybrid(Redis, Memory) with the entry deleted from the memory level before each
/// call; FusionCache with <c>SkipMemoryCacheRead</c> and Microsoft with <c>DisableLocalCacheRead</c>, each over
/// Microsoft's Redis <c>IDistributedCache</c> (both still write the value back to their memory level, as ours does).
/// Baseline: that <c>IDistributedCache.GetAsync</c> of the bytes alone.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
[FactoryCallsColumn(perOperation: false)]
public class PeerL2HitBenchmarks
{
    // One key per library and value: the libraries store different formats under their keys.
    private const string RawString = "raw:string";
    private const string RawDto = "raw:dto";
    private const string OursString = "ours:string";
    private const string OursDto = "ours:dto";
    private const string HybridString = "hybrid:string";
    private const string HybridDto = "hybrid:dto";
    private const string FusionString = "fusion:string";
    private const string FusionDto = "fusion:dto";
    private const string MicrosoftString = "microsoft:string";
    private const string MicrosoftDto = "microsoft:dto";
    private readonly Factories<string> _text = new(PeerValues.Text);
    private readonly Factories<CustomerDto> _dto = new(PeerValues.Dto);
    private RedisPeers _peers = null!;
    private FusionCacheEntryOptions _fusionFromL2 = null!;
    private HybridCacheEntryOptions _microsoftFromL2 = null!;

    // Synchronous on purpose: the in-process toolchain may start the workload before an async setup has finished.
    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    private async Task SetupAsync()
    {
        _peers = await RedisPeers.StartAsync();
        _fusionFromL2 = _peers.Fusion.DefaultEntryOptions.Duplicate().SetSkipMemoryCacheRead(true);
        _microsoftFromL2 = PeerSettings.MicrosoftEntry(HybridCacheEntryFlags.DisableLocalCacheRead);
        await _peers.Raw.SetAsync(RawString, System.Text.Encoding.UTF8.GetBytes(PeerValues.Text));
        await _peers.Raw.SetAsync(RawDto, System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(PeerValues.Dto));
        foreach (var fill in new Func<ValueTask>[]
        {
            async () => await String_Ours(), async () => await String_OursHybrid(), async () => await String_Fusion(),
            async () => await String_Microsoft(), async () => await Dto_Ours(), async () => await Dto_OursHybrid(),
            async () => await Dto_Fusion(), async () => await Dto_Microsoft(),
        })
        {
            await fill();
        }

        FactoryCalls.Reset();
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        FactoryCalls.Record();
        Console.WriteLine("// redis commands: " + await _peers.CommandStatsAsync());
        await _peers.DisposeAsync();
    }

    [Benchmark(Baseline = true, Description = "raw IDistributedCache.GetAsync (bytes)"), BenchmarkCategory("string")]
    public Task<byte[]?> String_Raw() => _peers.Raw.GetAsync(RawString);

    [Benchmark(Description = "3 ours over RedisCache"), BenchmarkCategory("string")]
    public ValueTask<string> String_Ours() => _peers.Ours.DoAsync(OursString, _text.Ours);

    [Benchmark(Description = "3 ours over Hybrid, L1 entry deleted"), BenchmarkCategory("string")]
    public async ValueTask<string> String_OursHybrid()
    {
        await _peers.OursL1.DeleteAsync(HybridString);
        return await _peers.OursOverHybrid.DoAsync(HybridString, _text.Ours);
    }

    [Benchmark(Description = "3 FusionCache, SkipMemoryCacheRead"), BenchmarkCategory("string")]
    public ValueTask<string> String_Fusion() => _peers.Fusion.GetOrSetAsync<string>(FusionString, _text.Fusion, default, _fusionFromL2);

    [Benchmark(Description = "3 Microsoft, DisableLocalCacheRead"), BenchmarkCategory("string")]
    public ValueTask<string> String_Microsoft() => _peers.Microsoft.GetOrCreateAsync(MicrosoftString, _text.Microsoft, _microsoftFromL2);

    [Benchmark(Baseline = true, Description = "raw IDistributedCache.GetAsync (bytes)"), BenchmarkCategory("DTO")]
    public Task<byte[]?> Dto_Raw() => _peers.Raw.GetAsync(RawDto);

    [Benchmark(Description = "3 ours over RedisCache"), BenchmarkCategory("DTO")]
    public ValueTask<CustomerDto> Dto_Ours() => _peers.Ours.DoAsync(OursDto, _dto.Ours);

    [Benchmark(Description = "3 ours over Hybrid, L1 entry deleted"), BenchmarkCategory("DTO")]
    public async ValueTask<CustomerDto> Dto_OursHybrid()
    {
        await _peers.OursL1.DeleteAsync(HybridDto);
        return await _peers.OursOverHybrid.DoAsync(HybridDto, _dto.Ours);
    }

    [Benchmark(Description = "3 FusionCache, SkipMemoryCacheRead"), BenchmarkCategory("DTO")]
    public ValueTask<CustomerDto> Dto_Fusion() => _peers.Fusion.GetOrSetAsync<CustomerDto>(FusionDto, _dto.Fusion, default, _fusionFromL2);

    [Benchmark(Description = "3 Microsoft, DisableLocalCacheRead"), BenchmarkCategory("DTO")]
    public ValueTask<CustomerDto> Dto_Microsoft() => _peers.Microsoft.GetOrCreateAsync(MicrosoftDto, _dto.Microsoft, _microsoftFromL2);
}
