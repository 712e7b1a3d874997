namespace HybridCaching.Tests.Func;

internal static class HitAllocation
{
    // Bytes allocated per call of a fresh hit, after checking every call completed synchronously.
    public static async Task<long> PerHitAsync<T>(Func<ValueTask<T>> hit)
    {
        for (var i = 0; i < 10; i++)
        {
            await hit();
        }

        var synchronous = 0;
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++)
        {
            synchronous += hit().IsCompletedSuccessfully ? 1 : 0;
        }

        var perHit = (GC.GetAllocatedBytesForCurrentThread() - before) / 100;
        Assert.Equal(100, synchronous);
        return perHit;
    }
}
