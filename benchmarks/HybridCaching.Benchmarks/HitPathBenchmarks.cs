using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Caching.Memory;
using RuntimeMemoryCache = Microsoft.Extensions.Caching.Memory.MemoryCache;

namespace HybridCaching.Benchmarks;

/// <summary>
/// The fresh-hit path of <see cref="CacheFunc.DoAsync{T}(string, Func{CancellationToken, Task{T}}, CancellationToken)"/>
/// next to a raw runtime <c>MemoryCache.TryGetValue</c> of the same value (already an object: no envelope, no decoding).
/// </summary>
[MemoryDiagnoser]
public class HitPathBenchmarks
{
    private const string Key = "user:42";
    private const string BytesKey = "user:42:bytes";
    private const string DtoKey = "customer:42";
    private static readonly Func<CancellationToken, Task<string>> Factory = _ => Task.FromResult("never called on a hit");
    private static readonly Func<CancellationToken, Task<byte[]>> BytesFactory = _ => Task.FromResult(Array.Empty<byte>());
    private static readonly Func<CancellationToken, Task<CustomerDto>> DtoFactory = _ => Task.FromResult(new CustomerDto());

    private RuntimeMemoryCache _runtime = null!;
    private byte[] _payload = null!;
    private MemoryCache _memory = null!;
    private HybridCache _hybrid = null!;
    private CacheFunc _memoryFunc = null!;
    private CacheFunc _hybridFunc = null!;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        const string value = "Ada Lovelace <ada@example.com>";
        _runtime = new RuntimeMemoryCache(new MemoryCacheOptions());
        _runtime.Set(Key, value, TimeSpan.FromHours(1));

        _memory = new MemoryCache(100_000, 1 << 29, TimeSpan.FromHours(1));
        _memoryFunc = new CacheFunc(_memory, TimeSpan.FromSeconds(20), TimeSpan.FromHours(1), TimeSpan.FromHours(1));
        await _memoryFunc.DoAsync(Key, _ => Task.FromResult(value));
        await _memoryFunc.DoBytesAsync(BytesKey, _ => Task.FromResult(new byte[100]));
        await _memoryFunc.DoAsync(DtoKey, _ => Task.FromResult(CustomerDto.Create(42)));
        _payload = (await _memory.GetAsync(Key))!;

        _hybrid = new HybridCache(new MemoryCache(100_000, 1 << 29, TimeSpan.FromHours(1)), new MemoryCache(100_000, 1 << 29, TimeSpan.FromHours(1)));
        _hybridFunc = new CacheFunc(_hybrid, TimeSpan.FromSeconds(20), TimeSpan.FromHours(1), TimeSpan.FromHours(1));
        await _hybridFunc.DoAsync(Key, _ => Task.FromResult(value));
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        _runtime.Dispose();
        await _memory.DisposeAsync();
        await _hybrid.DisposeAsync();
    }

    [Benchmark(Baseline = true, Description = "runtime MemoryCache.TryGetValue")]
    public string? RuntimeTryGetValue() => _runtime.TryGetValue(Key, out string? value) ? value : null;

    [Benchmark(Description = "MemoryCache.GetAsync (bytes)")]
    public byte[]? AdapterGet() => _memory.GetAsync(Key).Result;

    [Benchmark(Description = "CachePayload.TryRead (envelope parse)")]
    public bool PayloadTryRead() => CachePayload.TryRead(_payload, out _);

    [Benchmark(Description = "CacheFunc.DoAsync<string> over Memory")]
    public string DoAsyncMemory() => _memoryFunc.DoAsync(Key, Factory).Result;

    [Benchmark(Description = "CacheFunc.DoBytesAsync (100 B) over Memory")]
    public byte[] DoBytesAsyncMemory() => _memoryFunc.DoBytesAsync(BytesKey, BytesFactory).Result;

    /// <summary>A mutable DTO is not reused: every hit parses the envelope and decodes a copy.</summary>
    [Benchmark(Description = "CacheFunc.DoAsync<CustomerDto> (a copy per hit) over Memory")]
    public CustomerDto DoAsyncDtoCopy() => _memoryFunc.DoAsync(DtoKey, DtoFactory).Result;

    [Benchmark(Description = "CacheFunc.DoAsync<string> over Hybrid(Memory, Memory)")]
    public string DoAsyncHybrid() => _hybridFunc.DoAsync(Key, Factory).Result;
}
