using BenchmarkDotNet.Attributes;
using HybridCaching.Redis;
using StackExchange.Redis;

namespace HybridCaching.Benchmarks;

/// <summary>
/// <see cref="RedisCache.GetAsync"/> of a 100-byte value against a real server (next to a bare <c>IDatabase.StringGetAsync</c>
/// on the same multiplexer, the baseline), with one caller and with 64 concurrent
/// callers (each awaiting its GETs one after the other, like <c>redis-benchmark</c>'s clients). Compare with
/// <c>redis-benchmark -t get -d 100 -c 1</c>, <c>-c 50</c> and <c>-c 50 -P 16</c> against the same server.
/// The server is <c>HYBRIDCACHING_BENCH_REDIS</c> (<c>host:port</c>, default <c>127.0.0.1:6379</c>).
/// </summary>
[MemoryDiagnoser]
public class RedisBenchmarks
{
    private const int Callers = 64;
    private const int GetsPerCaller = 200;
    private ConnectionMultiplexer _multiplexer = null!;
    private IDatabase _db = null!;
    private RedisCache _cache = null!;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        var endPoint = Environment.GetEnvironmentVariable("HYBRIDCACHING_BENCH_REDIS") ?? "127.0.0.1:6379";
        _multiplexer = await ConnectionMultiplexer.ConnectAsync(endPoint);
        _db = _multiplexer.GetDatabase();
        _cache = new RedisCache(_multiplexer, new RedisCacheOptions { Prefix = "bench:" });
        await _cache.SetAsync("key", new byte[100], TimeSpan.FromHours(1));
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await _cache.DisposeAsync();
        await _multiplexer.DisposeAsync();
    }

    [Benchmark(Baseline = true, Description = "IDatabase.StringGetAsync, 1 caller")]
    public async Task<RedisValue> RawGetOneCaller() => await _db.StringGetAsync("bench:key");

    [Benchmark(Description = "RedisCache.GetAsync, 1 caller")]
    public async Task<byte[]?> GetOneCaller() => await _cache.GetAsync("key");

    [Benchmark(Description = "RedisCache.GetAsync, 64 concurrent callers", OperationsPerInvoke = Callers * GetsPerCaller)]
    public async Task GetConcurrentCallers()
    {
        var callers = new Task[Callers];
        for (var i = 0; i < callers.Length; i++)
        {
            callers[i] = Task.Run(async () =>
            {
                for (var n = 0; n < GetsPerCaller; n++)
                {
                    await _cache.GetAsync("key");
                }
            });
        }

        await Task.WhenAll(callers);
    }
}
