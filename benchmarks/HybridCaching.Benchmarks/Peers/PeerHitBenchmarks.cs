using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Microsoft.Extensions.Caching.Memory;

namespace HybridCaching.Benchmarks.Peers;

/// <summary>
/// Table rows 1 and 2: a fresh hit on the memory level (L1), one caller. Row 1, the cached value reused (ours for
/// immutable types or with <c>ReuseValues</c>, FusionCache by default, Microsoft for sealed [ImmutableObject(true)]
/// types and strings); row 2, a copy per caller (ours by default for mutable types, FusionCache with
/// <c>EnableAutoClone</c>, Microsoft by default). Baseline: the runtime's <c>MemoryCache.TryGetValue</c> of the object.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
[FactoryCallsColumn(perOperation: false)]
public class PeerHitBenchmarks
{
    private const string StringKey = "hit:string";
    private const string DtoKey = "hit:dto";
    private const string ImmutableKey = "hit:immutable";
    private readonly Factories<string> _text = new(PeerValues.Text);
    private readonly Factories<CustomerDto> _dto = new(PeerValues.Dto);
    private readonly Factories<ImmutableCustomerDto> _immutableDto = new(PeerValues.ImmutableDto);
    private readonly ItemStore _db = new();
    private readonly int _id = 42;
    private MemoryPeers _peers = null!;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _peers = new MemoryPeers();
        _peers.Runtime.Set(StringKey, PeerValues.Text, PeerSettings.Duration);
        _peers.RuntimeBounded.Set(StringKey, PeerValues.Text, new MemoryCacheEntryOptions { Size = 64, AbsoluteExpirationRelativeToNow = PeerSettings.Duration });
        _peers.Runtime.Set(DtoKey, PeerValues.Dto, PeerSettings.Duration);
        foreach (var fill in new Func<ValueTask>[]
        {
            async () => await String_Ours(), async () => await String_Fusion(), async () => await String_Microsoft(),
            async () => await Dto_Reused_OursImmutableType(), async () => await Dto_Reused_OursReuseValues(),
            async () => await Dto_Reused_FusionDefault(), async () => await Dto_Reused_MicrosoftImmutableType(),
            async () => await Dto_Copied_OursDefault(), async () => await Dto_Copied_FusionAutoClone(),
            async () => await Dto_Copied_MicrosoftDefault(),
        })
        {
            await fill();
        }

        FactoryCalls.Reset();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        FactoryCalls.Record();
        _peers.Dispose();
    }

    [Benchmark(Baseline = true, Description = "raw MemoryCache.TryGetValue"), BenchmarkCategory("string")]
    public string? String_Raw() => _peers.Runtime.TryGetValue(StringKey, out string? value) ? value : null;

    /// <summary>The memory adapter's own store, with the options it needs: what a hit through it cannot go below.</summary>
    [Benchmark(Description = "raw MemoryCache.TryGetValue, the adapter's options"), BenchmarkCategory("string")]
    public string? String_RawBounded() => _peers.RuntimeBounded.TryGetValue(StringKey, out string? value) ? value : null;

    [Benchmark(Description = "1 ours DoAsync<string>"), BenchmarkCategory("string")]
    public ValueTask<string> String_Ours() => _peers.Ours.DoAsync(StringKey, _text.Ours);

    /// <summary>The README's lambda form, <c>ct => db.LoadItemsAsync(id, ct)</c>: allocates its closure on every call.</summary>
    [Benchmark(Description = "1 ours DoAsync<string>, lambda capturing (db, id)"), BenchmarkCategory("string")]
    public ValueTask<string> String_OursCapturingLambda()
    {
        var db = _db;
        var id = _id;
        return _peers.Ours.DoAsync(StringKey, ct => db.LoadAsync(id, ct));
    }

    /// <summary>The README's state form, <c>(db, id), static (s, ct) => s.db.LoadItemsAsync(s.id, ct)</c>.</summary>
    [Benchmark(Description = "1 ours DoAsync<TState, string>, state (db, id)"), BenchmarkCategory("string")]
    public ValueTask<string> String_OursState() => _peers.Ours.DoAsync(StringKey, (db: _db, id: _id), static (s, ct) => s.db.LoadAsync(s.id, ct));

    [Benchmark(Description = "1 FusionCache GetOrSetAsync<string>"), BenchmarkCategory("string")]
    public ValueTask<string> String_Fusion() => _peers.Fusion.GetOrSetAsync<string>(StringKey, _text.Fusion);

    [Benchmark(Description = "1 Microsoft GetOrCreateAsync<string>"), BenchmarkCategory("string")]
    public ValueTask<string> String_Microsoft() => _peers.Microsoft.GetOrCreateAsync(StringKey, _text.Microsoft);

    [Benchmark(Baseline = true, Description = "raw MemoryCache.TryGetValue"), BenchmarkCategory("DTO")]
    public CustomerDto? Dto_Raw() => _peers.Runtime.TryGetValue(DtoKey, out CustomerDto? value) ? value : null;

    [Benchmark(Description = "1 reused: ours, [ImmutableObject(true)] type"), BenchmarkCategory("DTO")]
    public ValueTask<ImmutableCustomerDto> Dto_Reused_OursImmutableType() => _peers.Ours.DoAsync(ImmutableKey, _immutableDto.Ours);

    [Benchmark(Description = "1 reused: ours, ReuseValues = true"), BenchmarkCategory("DTO")]
    public ValueTask<CustomerDto> Dto_Reused_OursReuseValues() => _peers.OursReusing.DoAsync(DtoKey, _dto.Ours);

    [Benchmark(Description = "1 reused: FusionCache, default"), BenchmarkCategory("DTO")]
    public ValueTask<CustomerDto> Dto_Reused_FusionDefault() => _peers.Fusion.GetOrSetAsync<CustomerDto>(DtoKey, _dto.Fusion);

    [Benchmark(Description = "1 reused: Microsoft, [ImmutableObject(true)] sealed type"), BenchmarkCategory("DTO")]
    public ValueTask<ImmutableCustomerDto> Dto_Reused_MicrosoftImmutableType() => _peers.Microsoft.GetOrCreateAsync(ImmutableKey, _immutableDto.Microsoft);

    [Benchmark(Description = "2 copied: ours, default (mutable type)"), BenchmarkCategory("DTO")]
    public ValueTask<CustomerDto> Dto_Copied_OursDefault() => _peers.Ours.DoAsync(DtoKey, _dto.Ours);

    [Benchmark(Description = "2 copied: FusionCache, EnableAutoClone"), BenchmarkCategory("DTO")]
    public ValueTask<CustomerDto> Dto_Copied_FusionAutoClone() => _peers.FusionAutoClone.GetOrSetAsync<CustomerDto>(DtoKey, _dto.Fusion);

    [Benchmark(Description = "2 copied: Microsoft, default (mutable type)"), BenchmarkCategory("DTO")]
    public ValueTask<CustomerDto> Dto_Copied_MicrosoftDefault() => _peers.Microsoft.GetOrCreateAsync(DtoKey, _dto.Microsoft);

    /// <summary>Stands for the README's <c>db</c>: never called on a hit.</summary>
    private sealed class ItemStore
    {
        public Task<string> LoadAsync(int id, CancellationToken cancellationToken)
        {
            FactoryCalls.Increment();
            return Task.FromResult(PeerValues.Text);
        }
    }
}
