using System.Net;
using Microsoft.Extensions.DependencyInjection;

namespace HybridCaching.Hosting.Tests;

public sealed class HttpClientBuilderTests
{
    [Fact]
    public async Task AddHybridCaching_OnNamedClient_SecondGetServedFromRegisteredCache()
    {
        var origin = new CountingOrigin();
        var services = new ServiceCollection();
        services.AddHybridCaching().AddMemory();
        services.AddHttpClient("origin", c => c.BaseAddress = new Uri("http://origin.test/"))
            .ConfigurePrimaryHttpMessageHandler(() => origin)
            .AddHybridCaching(o => o.FreshFor = TimeSpan.FromMinutes(5));
        await using var provider = services.BuildServiceProvider();
        var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient("origin");

        var first = await client.GetStringAsync("items/1");
        var second = await client.GetStringAsync("items/1");

        Assert.Equal(("body 1", "body 1"), (first, second));
        Assert.Equal(1, origin.Calls);
        Assert.Equal(1, provider.GetRequiredService<MemoryCache>().Count);
    }

    private sealed class CountingOrigin : HttpMessageHandler
    {
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
            => Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent($"body {Interlocked.Increment(ref _calls)}") });
    }
}
