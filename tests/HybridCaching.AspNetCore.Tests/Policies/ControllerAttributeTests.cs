using HybridCaching.Http;
using HybridCaching.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace HybridCaching.AspNetCore.Tests.Policies;

/// <summary><see cref="CacheHybridResponseAttribute"/> on MVC controllers and actions.</summary>
public sealed class ControllerAttributeTests : IAsyncDisposable
{
    private readonly FakeTimeProvider _time = new();
    private readonly MemoryCache _cache;

    public ControllerAttributeTests() => _cache = new MemoryCache(10_000, 1 << 26, TimeSpan.Zero, _time);

    public ValueTask DisposeAsync() => _cache.DisposeAsync();

    [Fact]
    public async Task Middleware_AttributeOnControllerAndAction_ActionsAttributeWins()
    {
        var counter = new PolicyTestController.Counter();
        await using var app = await TestApp.StartAsync(
            new HybridResponseCachingOptions { Cache = _cache, TimeProvider = _time, EndpointsOnly = true },
            app => app.MapControllers(),
            services: s => s.AddSingleton(counter).AddControllers().AddApplicationPart(typeof(PolicyTestController).Assembly));

        var first = await app.Client.GetStatusAndBodyAsync("/policy-test/1?v=a&other=1");
        var sameV = await app.Client.GetStatusAndBodyAsync("/policy-test/1?other=2&v=a");
        var classLevel = await app.Client.GetStatusAndBodyAsync("/policy-test/class");
        var classLevelAgain = await app.Client.GetStatusAndBodyAsync("/policy-test/class");
        _time.Advance(TimeSpan.FromSeconds(30));
        var afterThirtySeconds = await app.Client.GetStatusAndBodyAsync("/policy-test/1?v=a");
        var classAfterThirtySeconds = await app.Client.GetStatusAndBodyAsync("/policy-test/class");

        Assert.Equal((HttpCacheStatus.Miss, "1 1"), first);
        Assert.Equal((HttpCacheStatus.Hit, "1 1"), sameV);
        Assert.Equal((HttpCacheStatus.Hit, classLevel.Body), classLevelAgain);
        Assert.Equal(HttpCacheStatus.Stale, afterThirtySeconds.Status);
        Assert.Equal(HttpCacheStatus.Hit, classAfterThirtySeconds.Status); // the class's 60 s
    }
}

/// <summary>A controller for <see cref="ControllerAttributeTests"/>.</summary>
[ApiController]
[Route("policy-test")]
[CacheHybridResponse(60)]
public sealed class PolicyTestController(PolicyTestController.Counter counter) : ControllerBase
{
    [HttpGet("{id}")]
    [CacheHybridResponse(30, VaryByQuery = ["v"])]
    public string Get(string id) => $"{id} {counter.Next()}";

    [HttpGet("class")]
    public string GetClassLevel() => $"class {counter.Next()}";

    /// <summary>Counts the actions' runs.</summary>
    public sealed class Counter
    {
        private int _value;

        public int Next() => Interlocked.Increment(ref _value);
    }
}
