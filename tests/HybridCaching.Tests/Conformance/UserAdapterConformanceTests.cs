using HybridCaching.Testing;
using HybridCaching.Testing.Conformance;
using Microsoft.Extensions.Time.Testing;

namespace HybridCaching.Tests.Conformance;

// The conformance suites over an adapter written from the public contract alone (DictionaryCacheAdapter: storage, the
// race, renewal), directly and as the upstream of a HybridCache: the contract is usable from outside the library.

public sealed class DictionaryAdapterConformanceTests : CacheAdapterConformanceTests
{
    protected override Task<ICacheAdapter> CreateAdapterAsync() => Task.FromResult<ICacheAdapter>(new DictionaryCacheAdapter());
}

public sealed class DictionaryAdapterRaceConformanceTests : CacheRaceConformanceTests
{
    protected override Task<ICacheAdapter> CreateAdapterAsync() => Task.FromResult<ICacheAdapter>(new DictionaryCacheAdapter());
}

public sealed class DictionaryAdapterFuncConformanceTests : CacheFuncConformanceTests
{
    protected override Task<ICacheAdapter> CreateAdapterAsync() => Task.FromResult<ICacheAdapter>(new DictionaryCacheAdapter());
}

public sealed class HybridDictionaryConformanceTests : CacheAdapterConformanceTests
{
    protected override Task<ICacheAdapter> CreateAdapterAsync() => Task.FromResult(UserAdapterRaceTests.Hybrid(new DictionaryCacheAdapter()));
}

public sealed class HybridDictionaryRaceConformanceTests : CacheRaceConformanceTests
{
    protected override Task<ICacheAdapter> CreateAdapterAsync() => Task.FromResult(UserAdapterRaceTests.Hybrid(new DictionaryCacheAdapter()));
}

public sealed class HybridDictionaryFuncConformanceTests : CacheFuncConformanceTests
{
    protected override Task<ICacheAdapter> CreateAdapterAsync() => Task.FromResult(UserAdapterRaceTests.Hybrid(new DictionaryCacheAdapter()));
}

public sealed class UserAdapterRaceTests
{
    internal static ICacheAdapter Hybrid(ICacheAdapter upstream, TimeProvider? time = null)
        => new HybridCache(upstream, new MemoryCache(100_000, 1 << 29, TimeSpan.FromHours(1), time), timeProvider: time);

    // Two servers, each a CacheFunc (one over the adapter, one over a HybridCache over it), share the adapter's store: the
    // race it offers is what keeps the second server from running the factory too. A fake clock keeps the first run's
    // result under its lock however late the other server races.
    [Fact]
    public async Task DoAsync_TwoServersSharingAUserAdaptersRace_RunTheFactoryOnceAcrossBoth()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var serverA = new DictionaryCacheAdapter(time);
        await using var serverB = Hybrid(new DictionaryCacheAdapter(serverA.Shared, time), time);
        var options = new CacheFuncOptions { WaitFor = TimeSpan.FromSeconds(20), FreshFor = TimeSpan.FromMinutes(1), Ttl = TimeSpan.FromHours(1), TimeProvider = time };
        var funcs = new[] { new CacheFunc(serverA, options), new CacheFunc(serverB, options) };
        var release = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var runs = 0;
        Task<string> Factory(CancellationToken _)
        {
            Interlocked.Increment(ref runs);
            return release.Task;
        }

        var calls = Enumerable.Range(0, 20).Select(i => funcs[i % 2].DoAsync("k", Factory).AsTask()).ToList();
        release.SetResult("v");
        var values = await Task.WhenAll(calls).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.All(values, v => Assert.Equal("v", v));
        Assert.Equal(1, runs);
    }
}
