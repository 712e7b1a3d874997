using BenchmarkDotNet.Attributes;
using HybridCaching.Benchmarks.Peers;
using HybridCaching.Redis;
using StackExchange.Redis;

namespace HybridCaching.Benchmarks;

/// <summary>
/// Reads of a 100-byte value against a real server on one multiplexer: a bare <c>IDatabase.StringGetAsync</c> (the
/// baseline), <see cref="RedisCache.GetAsync"/> on top of it, and a Redis-only <see cref="CacheFunc"/> hit (a CacheFunc
/// over a RedisCache alone, so no memory level answers), with one caller; then the bare client and RedisCache with 64
/// concurrent callers (each awaiting its GETs one after the other, like <c>redis-benchmark</c>'s clients; per-op time via
/// OperationsPerInvoke) for the bare client, RedisCache and the Redis-only CacheFunc hit. Compare with
/// <c>redis-benchmark -t get -d 100 -c 1</c>, <c>-c 50</c> and <c>-c 50 -P 16</c> against the same server. The server is
/// <c>HYBRIDCACHING_BENCH_REDIS</c> (<c>host:port</c>) or, unset, a <c>redis-server</c> from PATH started for the run.
/// </summary>
[MemoryDiagnoser]
public class RedisBenchmarks
{
    private const int Callers = 64;
    private const int GetsPerCaller = 200;
    private const string FuncKey = "func";
    private static readonly Func<CancellationToken, Task<byte[]>> Factory = _ => Task.FromResult(new byte[100]);
    private LocalRedisServer _server = null!;
    private ConnectionMultiplexer _multiplexer = null!;
    private IDatabase _db = null!;
    private RedisCache _cache = null!;
    private CacheFunc _func = null!;

    // Synchronous on purpose: the in-process toolchain may start the workload before an async setup has finished.
    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    private async Task SetupAsync()
    {
        _server = await LocalRedisServer.StartAsync();
        _multiplexer = await ConnectionMultiplexer.ConnectAsync(_server.EndPoint);
        _db = _multiplexer.GetDatabase();
        _cache = new RedisCache(_multiplexer, new RedisCacheOptions { Prefix = "bench:" });
        await _cache.SetAsync("key", new byte[100], TimeSpan.FromHours(1));
        _func = new CacheFunc(_cache, TimeSpan.FromSeconds(20), TimeSpan.FromHours(1), TimeSpan.FromHours(1));
        await _func.DoBytesAsync(FuncKey, Factory);
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await _cache.DisposeAsync();
        await _multiplexer.DisposeAsync();
        await _server.DisposeAsync();
    }

    [Benchmark(Baseline = true, Description = "IDatabase.StringGetAsync, 1 caller")]
    public async Task<RedisValue> RawGetOneCaller() => await _db.StringGetAsync("bench:key");

    [Benchmark(Description = "RedisCache.GetAsync, 1 caller")]
    public async Task<byte[]?> GetOneCaller() => await _cache.GetAsync("key");

    [Benchmark(Description = "CacheFunc.DoBytesAsync Redis-only hit (100 B), 1 caller")]
    public async Task<byte[]> DoAsyncRedisOnlyHit() => await _func.DoBytesAsync(FuncKey, Factory);

    [Benchmark(Description = "IDatabase.StringGetAsync, 64 concurrent callers", OperationsPerInvoke = Callers * GetsPerCaller)]
    public Task RawGetConcurrentCallers() => RunCallersAsync(() => new ValueTask<RedisValue>(_db.StringGetAsync("bench:key")));

    [Benchmark(Description = "RedisCache.GetAsync, 64 concurrent callers", OperationsPerInvoke = Callers * GetsPerCaller)]
    public Task GetConcurrentCallers() => RunCallersAsync(() => _cache.GetAsync("key"));

    [Benchmark(Description = "CacheFunc.DoBytesAsync Redis-only hit (100 B), 64 concurrent callers", OperationsPerInvoke = Callers * GetsPerCaller)]
    public Task DoAsyncRedisOnlyHitConcurrentCallers() => RunCallersAsync(() => _func.DoBytesAsync(FuncKey, Factory));

    private static Task RunCallersAsync<T>(Func<ValueTask<T>> get)
    {
        var callers = new Task[Callers];
        for (var i = 0; i < callers.Length; i++)
        {
            callers[i] = Task.Run(async () =>
            {
                for (var n = 0; n < GetsPerCaller; n++)
                {
                    await get();
                }
            });
        }

        return Task.WhenAll(callers);
    }
}
