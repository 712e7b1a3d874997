using HybridCaching.Testing;

namespace HybridCaching.Tests.Func;

// What a cold miss over memory allocates when its factory finishes at once, on the system clock (issue 20: at most a
// kilobyte, string and DTO): the single-flight's run, its result, the stored entry and its bytes, with no timeout timer
// (started only for work still running), no buffer to serialize into (pooled), no task of the run's own, and no decode
// of the value the caller's own factory produced; a factory that takes no context runs without one.
public sealed class MissAllocationTests
{
    private const int Warmup = 1_000;
    private const int Measured = 3_000;

    [Fact]
    public async Task StringColdMiss_OverMemory_AllocatesAtMostOneKilobyte()
        => Assert.InRange(await MeasureColdMissAsync("Ada Lovelace <ada@example.com>", text => text), 1, 1024);

    [Fact]
    public async Task DtoColdMiss_OverMemory_AllocatesAtMostOneKilobyte()
        => Assert.InRange(await MeasureColdMissAsync(CustomerDto.Create(42), dto => (dto.Id, dto.Name, dto.Email, dto.CreatedAt, string.Join(",", dto.Tags))), 1, 1024);

    // The same miss through the overload whose factory takes a context allocates that context (64 bytes); the token-only
    // overload allocates none.
    [Fact]
    public async Task ColdMiss_FactoryWithoutContext_AllocatesNoContext()
    {
        var tokenOnly = await MeasureColdMissAsync("Ada", text => text);
        var withContext = await MeasureColdMissAsync("Ada", text => text, factoryTakesContext: true);
        Assert.InRange(withContext - tokenOnly, 48, 96);
    }

    // The value read back must equal the stored one by what compare says.
    private static async Task<long> MeasureColdMissAsync<T, TCompared>(T stored, Func<T, TCompared> compare, bool factoryTakesContext = false)
    {
        await using var memory = new MemoryCache(100_000, 1 << 26, TimeSpan.Zero);
        var func = new CacheFunc(memory, TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(1), TimeSpan.FromHours(1));
        var value = Task.FromResult(stored);
        var keys = Enumerable.Range(0, Warmup + Measured).Select(i => "miss:" + i).ToArray();
        var calls = 0;
        Func<CancellationToken, Task<T>> factory = _ =>
        {
            calls++;
            return value;
        };
        Func<CacheFuncContext, CancellationToken, Task<T>> contextFactory = (_, _) =>
        {
            calls++;
            return value;
        };
        Func<CacheFunc, string, ValueTask<T>> call = factoryTakesContext ? (f, key) => f.DoAsync(key, contextFactory) : (f, key) => f.DoAsync(key, factory);

        for (var i = 0; i < Warmup; i++)
        {
            Assert.NotNull(await call(func, keys[i]));
        }

        var synchronous = 0;
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = Warmup; i < keys.Length; i++)
        {
            synchronous += call(func, keys[i]).IsCompletedSuccessfully ? 1 : 0;
        }

        var perMiss = (GC.GetAllocatedBytesForCurrentThread() - before) / Measured;
        Assert.Equal(Measured, synchronous);
        Assert.Equal(keys.Length, calls);
        var read = await func.TryGetAsync<T>(keys[^1]);
        Assert.True(read.Found);
        Assert.Equal(compare(stored), compare(read.Value!));
        return perMiss;
    }
}
