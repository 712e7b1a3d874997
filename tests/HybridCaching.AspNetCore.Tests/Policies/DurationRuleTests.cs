using HybridCaching.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Time.Testing;
using static HybridCaching.Testing.DurationRule;

namespace HybridCaching.AspNetCore.Tests.Policies;

/// <summary>The one rule of WaitFor, FreshFor and Ttl (each positive) in every settings type of the middleware: the
/// options, a policy (named or an endpoint's own) and the attribute reject zero and negative durations with the same
/// message as the core package's options.</summary>
public sealed class DurationRuleTests : IAsyncDisposable
{
    private readonly MemoryCache _cache = new(100, 1 << 20, TimeSpan.Zero, new FakeTimeProvider());

    public ValueTask DisposeAsync() => _cache.DisposeAsync();

    [Theory]
    [MemberData(nameof(DurationRule.BadDurations), MemberType = typeof(DurationRule))]
    public void UseHybridResponseCaching_NonPositiveDuration_ThrowsTheSameMessage(string name, long ticks)
    {
        var value = TimeSpan.FromTicks(ticks);
        AssertRejected(name, value, () => With(new HybridResponseCachingOptions { Cache = _cache }, name, value).Validate());
    }

    [Theory]
    [MemberData(nameof(DurationRule.BadDurations), MemberType = typeof(DurationRule))]
    public void UseHybridResponseCaching_CacheFuncSet_DurationsAreIgnored(string name, long ticks)
        => With(new HybridResponseCachingOptions { CacheFunc = new CacheFunc(_cache, new CacheFuncOptions()) }, name, TimeSpan.FromTicks(ticks)).Validate();

    [Theory]
    [MemberData(nameof(DurationRule.BadDurations), MemberType = typeof(DurationRule))]
    public void Policies_NonPositiveDuration_ThrowTheSameMessage(string name, long ticks)
    {
        var value = TimeSpan.FromTicks(ticks);

        var named = Assert.Throws<InvalidOperationException>(() => new HybridResponseCachingOptions().AddPolicy("p", p => With(p, name, value)));
        var own = Assert.Throws<InvalidOperationException>(
            () => WebApplication.CreateSlimBuilder().Build().MapGet("/x", () => "x").CacheHybridResponse(p => With(p, name, value)));

        Assert.Equal("Policy 'p': " + Message(name, value), named.Message);
        Assert.Equal("CacheHybridResponse: " + Message(name, value), own.Message);
    }

    [Theory]
    [InlineData("FreshFor", -5)]
    [InlineData("Ttl", -5)]
    public void Attribute_NegativeSeconds_ThrowsTheSameMessage(string name, int seconds)
    {
        var attribute = With(new CacheHybridResponseAttribute(), name + "Seconds", seconds);
        var endpoint = new Endpoint(null, new EndpointMetadataCollection(attribute), "GET /x");

        var error = Assert.Throws<InvalidOperationException>(() => EndpointPolicies.Settings(attribute, new Dictionary<string, HybridResponseCachePolicy>(), endpoint));

        Assert.Equal("[CacheHybridResponse] on endpoint 'GET /x': " + Message(name, TimeSpan.FromSeconds(seconds)), error.Message);
    }

    [Fact]
    public void Attribute_ZeroSeconds_KeepsThePolicysDurations()
    {
        var settings = EndpointPolicies.Settings(
            new CacheHybridResponseAttribute(0) { PolicyName = "p" },
            new Dictionary<string, HybridResponseCachePolicy> { ["p"] = new() { FreshFor = TimeSpan.FromSeconds(7) } },
            new Endpoint(null, EndpointMetadataCollection.Empty, "GET /x"));

        Assert.Equal((TimeSpan.FromSeconds(7), null), (settings.FreshFor, settings.Ttl));
    }
}
