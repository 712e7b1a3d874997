using System.Diagnostics;
using HybridCaching.Testing;
using HybridCaching.Testing.Redis;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace HybridCaching.Redis.Tests.Fixtures;

/// <summary>The sentinel fixture works with StackExchange.Redis: connect by service name, failover mid-traffic, writes
/// land on the new primary. Figures are written to the test output, never asserted.</summary>
[Collection(SentinelCollection.Name)]
public sealed class RedisSentinelFixtureTests(RedisSentinelFixture sentinel, ITestOutputHelper output)
{
    [Fact]
    public async Task ConnectByServiceName_Failover_WritesLandOnTheNewPrimary()
    {
        await sentinel.WaitForHealthyAsync();
        var options = ConfigurationOptions.Parse(sentinel.ConfigurationString);
        options.AbortOnConnectFail = false;
        await using var mux = await ConnectionMultiplexer.ConnectAsync(options);
        var db = mux.GetDatabase();
        var key = "fixture-sentinel:" + Guid.NewGuid().ToString("N");
        var before = await sentinel.GetPrimaryPortAsync();
        Assert.True(await db.StringSetAsync(key + ":before", "1", TimeSpan.FromMinutes(5)));
        Assert.Equal("1", (await RedisCli.CommandAsync(before, "GET", key + ":before")).TrimEnd('\n'));

        TimeSpan? writesOnNewPrimary = null;
        var run = await ChaosRun.RunAsync(
            (caller, i, _) => db.StringSetAsync($"{key}:{caller}", i, TimeSpan.FromMinutes(5)),
            async () =>
            {
                var clock = Stopwatch.StartNew();
                var failover = await sentinel.FailoverAsync();

                // The promoted server no longer replicates from the old one, so a probe value written after this point
                // and read back from it went there through the multiplexer.
                var probe = 0;
                await RedisCli.WaitUntilAsync(
                    async () =>
                    {
                        var value = (++probe).ToString(System.Globalization.CultureInfo.InvariantCulture);
                        try
                        {
                            await db.StringSetAsync(key + ":probe", value, TimeSpan.FromMinutes(5));
                        }
                        catch (RedisException)
                        {
                            return false;
                        }

                        return (await RedisCli.CommandAsync(failover.NewPrimaryPort, "GET", key + ":probe")).TrimEnd('\n') == value;
                    },
                    "a write through the multiplexer to land on the new primary",
                    TimeSpan.FromSeconds(30));
                writesOnNewPrimary = clock.Elapsed;
                await sentinel.WaitForHealthyAsync();
                return failover;
            },
            new ChaosOptions { Callers = 4, After = TimeSpan.FromSeconds(2) });

        output.WriteLine($"sentinel failover: SENTINEL FAILOVER → every sentinel reports the new primary {run.ActionResult.Elapsed.TotalMilliseconds:F0} ms; "
            + $"→ StackExchange.Redis writes land on it {writesOnNewPrimary?.TotalMilliseconds:F0} ms; → old primary replicating again "
            + $"{run.ActionElapsed.TotalMilliseconds:F0} ms; {run}");
        Assert.Equal(before, run.ActionResult.OldPrimaryPort);
        Assert.NotEqual(before, run.ActionResult.NewPrimaryPort);
        Assert.NotNull(writesOnNewPrimary);
        Assert.Equal(run.ActionResult.NewPrimaryPort, await sentinel.GetPrimaryPortAsync());
        Assert.StartsWith("master", await RedisCli.CommandAsync(run.ActionResult.NewPrimaryPort, "ROLE"), StringComparison.Ordinal);
        Assert.True(run.SuccessesByPhase[(int)ChaosPhase.After] > 0, run.ToString());
        Assert.True(await db.StringSetAsync(key + ":after", "2", TimeSpan.FromMinutes(5)));
        Assert.Equal("2", (await RedisCli.CommandAsync(run.ActionResult.NewPrimaryPort, "GET", key + ":after")).TrimEnd('\n'));
    }
}
