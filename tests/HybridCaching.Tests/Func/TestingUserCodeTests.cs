using Microsoft.Extensions.Time.Testing;

namespace HybridCaching.Tests.Func;

// The examples of docs/testing.md: how a user unit-tests code that uses CacheFunc, with the memory adapter, a
// FakeTimeProvider and WhenBackgroundRefreshesIdleAsync (no sleeps, no polling).
public sealed class TestingUserCodeTests
{
    // User code under test: a price service that caches what its source returns.
    public sealed class PriceService(CacheFunc cache, Func<string, Task<decimal>> source)
    {
        public ValueTask<decimal> GetPriceAsync(string sku, CancellationToken cancellationToken = default)
            => cache.DoAsync($"price:{sku}", _ => source(sku), cancellationToken);
    }

    private static (PriceService Service, CacheFunc Cache, FakeTimeProvider Time, List<string> Calls, Func<decimal> Next) Create(decimal firstPrice)
    {
        var time = new FakeTimeProvider();
        var memory = new MemoryCache(maxItems: 1_000, maxBytes: 1 << 20, maxTtl: TimeSpan.FromHours(1), timeProvider: time);
        var cache = new CacheFunc(memory, new CacheFuncOptions
        {
            WaitFor = TimeSpan.FromSeconds(5),
            FreshFor = TimeSpan.FromMinutes(1),
            Ttl = TimeSpan.FromMinutes(10),
            TimeProvider = time,
        });
        var calls = new List<string>();
        var price = firstPrice;
        var service = new PriceService(cache, sku =>
        {
            lock (calls)
            {
                calls.Add(sku);
            }

            return Task.FromResult(price);
        });
        return (service, cache, time, calls, () => price++);
    }

    [Fact]
    public async Task GetPriceAsync_SecondCallWithinFreshFor_DoesNotCallTheSource()
    {
        var (service, _, time, calls, _) = Create(10m);

        Assert.Equal(10m, await service.GetPriceAsync("a"));
        time.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal(10m, await service.GetPriceAsync("a"));

        Assert.Equal(["a"], calls);
    }

    [Fact]
    public async Task GetPriceAsync_AfterFreshFor_ServesStaleThenTheRefreshedValue()
    {
        var (service, cache, time, calls, next) = Create(10m);
        await service.GetPriceAsync("a");
        next();

        time.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(10m, await service.GetPriceAsync("a"));

        // Wait for the background refresh the stale hit started: no sleep, no polling.
        await cache.WhenBackgroundRefreshesIdleAsync().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(11m, await service.GetPriceAsync("a"));
        Assert.Equal(["a", "a"], calls);
    }

    [Fact]
    public async Task GetPriceAsync_AfterTtl_CallsTheSourceAgain()
    {
        var (service, _, time, calls, next) = Create(10m);
        await service.GetPriceAsync("a");
        next();

        time.Advance(TimeSpan.FromMinutes(11));

        Assert.Equal(11m, await service.GetPriceAsync("a"));
        Assert.Equal(["a", "a"], calls);
    }
}
