using Microsoft.Extensions.DependencyInjection;

namespace HybridCaching.Tests.Hybrid;

public sealed class DisposalTests
{
    [Fact]
    public void ServiceProvider_DisposedSynchronously_DisposesAdapters()
    {
        var services = new ServiceCollection();
        services.AddSingleton(_ => new MemoryCache(100, 1 << 20, TimeSpan.Zero));
        services.AddSingleton<ICacheAdapter>(_ => new HybridCache(new MemoryCache(100, 1 << 20, TimeSpan.Zero), new MemoryCache(100, 1 << 20, TimeSpan.Zero)));
        var provider = services.BuildServiceProvider();
        var memory = provider.GetRequiredService<MemoryCache>();
        var hybrid = provider.GetRequiredService<ICacheAdapter>();

        provider.Dispose(); // threw "only implements IAsyncDisposable" before adapters were IDisposable

        Assert.Throws<ObjectDisposedException>(() => memory.GetAsync("k"));
        Assert.Throws<ObjectDisposedException>(() => hybrid.GetAsync("k"));
    }

    [Fact]
    public async Task Dispose_HybridCache_DisposesBothLevelsOnceEvenWhenRepeated()
    {
        var upstream = new MemoryCache(100, 1 << 20, TimeSpan.Zero);
        var downstream = new MemoryCache(100, 1 << 20, TimeSpan.Zero);
        var hybrid = new HybridCache(upstream, downstream);

        hybrid.Dispose();
        hybrid.Dispose();
        await hybrid.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await upstream.GetAsync("k"));
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await downstream.GetAsync("k"));
    }
}
