using HybridCaching.Http;
using HybridCaching.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using static HybridCaching.Testing.DurationRule;

namespace HybridCaching.Tests.Func;

/// <summary>The one rule of WaitFor, FreshFor and Ttl in code (each positive; FreshFor longer than Ttl is accepted with a
/// warning), stated once for every settings type of the core
/// package that carries them: each rejects zero and negative durations alike, with the same message.</summary>
public sealed class CacheDurationsTests : IAsyncDisposable
{
    private readonly MemoryCache _memory = new(100, 1 << 20, TimeSpan.Zero);

    public ValueTask DisposeAsync() => _memory.DisposeAsync();

    [Theory]
    [MemberData(nameof(DurationRule.BadDurations), MemberType = typeof(DurationRule))]
    public void CacheFunc_OptionsWithNonPositiveDuration_ThrowsTheSameMessage(string name, long ticks)
    {
        var value = TimeSpan.FromTicks(ticks);
        AssertRejected(name, value, () => new CacheFunc(_memory, With(new CacheFuncOptions(), name, value)));
    }

    [Theory]
    [MemberData(nameof(DurationRule.BadDurations), MemberType = typeof(DurationRule))]
    public void CacheFunc_ParameterWithNonPositiveDuration_ThrowsTheSameMessageNamingTheParameter(string name, long ticks)
    {
        var value = TimeSpan.FromTicks(ticks);
        var durations = new Dictionary<string, TimeSpan> { ["WaitFor"] = TimeSpan.FromSeconds(1), ["FreshFor"] = TimeSpan.FromSeconds(1), ["Ttl"] = TimeSpan.FromSeconds(1) };
        durations[name] = value;
        var parameter = char.ToLowerInvariant(name[0]) + name[1..];

        AssertRejected(parameter, value, () => new CacheFunc(_memory, durations["WaitFor"], durations["FreshFor"], durations["Ttl"]));
    }

    [Theory]
    [MemberData(nameof(DurationRule.BadDurations), MemberType = typeof(DurationRule))]
    public void HttpCacheHandler_OptionsWithNonPositiveDuration_ThrowsTheSameMessage(string name, long ticks)
    {
        var value = TimeSpan.FromTicks(ticks);
        AssertRejected(name, value, () => new HttpCacheHandler(With(new HttpCacheHandlerOptions { Cache = _memory }, name, value)));
    }

    [Theory]
    [MemberData(nameof(DurationRule.BadDurations), MemberType = typeof(DurationRule))]
    public void HttpCacheHandler_CacheFuncSet_DurationsAreIgnored(string name, long ticks)
    {
        var options = With(new HttpCacheHandlerOptions { CacheFunc = new CacheFunc(_memory, new CacheFuncOptions()) }, name, TimeSpan.FromTicks(ticks));

        using var handler = new HttpCacheHandler(options);
    }

    [Theory]
    [InlineData("FreshFor", 0)]
    [InlineData("FreshFor", -TimeSpan.TicksPerSecond)]
    [InlineData("Ttl", 0)]
    [InlineData("Ttl", -TimeSpan.TicksPerSecond)]
    public async Task EntryOptionsAndFactoryContext_NonPositiveDuration_ThrowTheSameMessage(string name, long ticks)
    {
        var value = TimeSpan.FromTicks(ticks);
        AssertRejected(name, value, () => With(new CacheEntryOptions(), name, value));

        var func = new CacheFunc(_memory, new CacheFuncOptions());
        var error = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await func.DoAsync("k", (context, _) =>
        {
            With(context, name, value);
            return Task.FromResult("v");
        }));
        Assert.Equal(name, error.ParamName);
        Assert.StartsWith(Message(name, value), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FreshForLongerThanTtl_InCode_IsAcceptedByEverySettingsType_AndTheCacheFuncWarnsOnce()
    {
        TimeSpan wait = TimeSpan.FromSeconds(5), fresh = TimeSpan.FromHours(1), ttl = TimeSpan.FromMinutes(30);
        var logger = new FakeLogger();

        _ = new CacheFunc(_memory, wait, fresh, ttl);
        _ = new CacheFunc(_memory, new CacheFuncOptions { FreshFor = fresh, Ttl = ttl, Logger = logger });
        _ = new HttpCacheHandler(new HttpCacheHandlerOptions { Cache = _memory, FreshFor = fresh, Ttl = ttl });
        Assert.Equal((fresh, ttl), (new CacheEntryOptions { FreshFor = fresh, Ttl = ttl }.FreshFor, new CacheEntryOptions { FreshFor = fresh, Ttl = ttl }.Ttl));

        var warning = Assert.Single(logger.Collector.GetSnapshot());
        Assert.Equal((LogLevel.Warning, 1007), (warning.Level, warning.Id.Id));
    }

    [Fact]
    public async Task FreshForLongerThanTtl_ValueExpiresBeforeItGoesStale_NeverRefreshedInTheBackground()
    {
        var time = new FakeTimeProvider();
        await using var memory = new MemoryCache(100, 1 << 20, TimeSpan.Zero, time);
        var func = new CacheFunc(memory, new CacheFuncOptions { FreshFor = TimeSpan.FromHours(1), Ttl = TimeSpan.FromMinutes(30), TimeProvider = time });
        var runs = 0;
        Task<string> Factory(CancellationToken _) => Task.FromResult($"v{++runs}");

        Assert.Equal("v1", await func.DoAsync("k", Factory));
        time.Advance(TimeSpan.FromMinutes(29));
        Assert.Equal("v1", await func.DoAsync("k", Factory));
        Assert.Equal(0, func.PendingBackgroundRefreshes);
        time.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal("v2", await func.DoAsync("k", Factory));
    }

    [Fact]
    public void FreshForEqualToTtlOrOnlyOneSetPerCall_IsAccepted()
    {
        var hour = TimeSpan.FromHours(1);
        _ = new CacheFunc(_memory, hour, hour, hour);
        Assert.Equal(TimeSpan.FromDays(1), new CacheEntryOptions { FreshFor = TimeSpan.FromDays(1) }.FreshFor); // the func's Ttl decides
        Assert.Equal(hour, new CacheEntryOptions { FreshFor = hour, Ttl = hour }.Ttl);
    }

    [Fact]
    public void Options_SmallestPositiveDurations_AreAccepted()
    {
        var tick = TimeSpan.FromTicks(1);
        _ = new CacheFunc(_memory, tick, tick, tick);
        _ = new CacheFunc(_memory, new CacheFuncOptions { WaitFor = tick, FreshFor = tick, Ttl = tick });
        using var handler = new HttpCacheHandler(new HttpCacheHandlerOptions { Cache = _memory, WaitFor = tick, FreshFor = tick, Ttl = tick });
        Assert.Equal(tick, new CacheEntryOptions { FreshFor = tick, Ttl = tick }.Ttl);
    }

    [Fact]
    public void Options_Defaults_Are20Seconds1Minute1Hour()
    {
        var func = new CacheFuncOptions();
        var http = new HttpCacheHandlerOptions();

        Assert.Equal((TimeSpan.FromSeconds(20), TimeSpan.FromMinutes(1), TimeSpan.FromHours(1)), (func.WaitFor, func.FreshFor, func.Ttl));
        Assert.Equal((func.WaitFor, func.FreshFor, func.Ttl), (http.WaitFor, http.FreshFor, http.Ttl));
    }
}
