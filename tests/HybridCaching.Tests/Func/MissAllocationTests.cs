namespace HybridCaching.Tests.Func;

// What a cold miss over memory allocates when its factory finishes at once, on the system clock (issue 20: at most a
// kilobyte for a string): the single-flight's run, its result, the stored entry and the value, with no timeout timer
// (started only for work still running), no buffer to serialize into (pooled) and no task of the run's own.
public sealed class MissAllocationTests
{
    private const int Warmup = 1_000;
    private const int Measured = 3_000;

    [Fact]
    public async Task StringColdMiss_OverMemory_AllocatesAtMostOneKilobyte()
    {
        await using var memory = new MemoryCache(100_000, 1 << 26, TimeSpan.Zero);
        var func = new CacheFunc(memory, TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(1), TimeSpan.FromHours(1));
        const string Text = "Ada Lovelace <ada@example.com>";
        var value = Task.FromResult(Text);
        var keys = Enumerable.Range(0, Warmup + Measured).Select(i => "miss:" + i).ToArray();
        var calls = 0;
        Func<CancellationToken, Task<string>> factory = _ =>
        {
            calls++;
            return value;
        };

        for (var i = 0; i < Warmup; i++)
        {
            Assert.Equal(Text, await func.DoAsync(keys[i], factory));
        }

        var synchronous = 0;
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = Warmup; i < keys.Length; i++)
        {
            synchronous += func.DoAsync(keys[i], factory).IsCompletedSuccessfully ? 1 : 0;
        }

        var perMiss = (GC.GetAllocatedBytesForCurrentThread() - before) / Measured;
        Assert.Equal(Measured, synchronous);
        Assert.Equal(keys.Length, calls);
        Assert.InRange(perMiss, 1, 1024);
    }
}
