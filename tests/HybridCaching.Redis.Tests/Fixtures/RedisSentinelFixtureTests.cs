using System.Diagnostics;
using System.Globalization;
using HybridCaching.Testing;
using HybridCaching.Testing.Redis;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace HybridCaching.Redis.Tests.Fixtures;

/// <summary>The sentinel fixture works with StackExchange.Redis: connect by service name, failover (SENTINEL FAILOVER or
/// a killed primary) mid-traffic, writes land on the new primary. Figures are written to the test output, never asserted.</summary>
[Collection(SentinelCollection.Name)]
public sealed class RedisSentinelFixtureTests(RedisSentinelFixture sentinel, ITestOutputHelper output)
{
    [Fact]
    public async Task ConnectByServiceName_Failover_WritesLandOnTheNewPrimary()
    {
        await sentinel.WaitForHealthyAsync();
        await using var mux = await ConnectAsync();
        var db = mux.GetDatabase();
        var key = "fixture-sentinel:" + Guid.NewGuid().ToString("N");
        var before = await sentinel.GetPrimaryPortAsync();
        output.WriteLine($"sentinel set-up start-up: {sentinel.StartupTime.TotalMilliseconds:F0} ms");
        Assert.True(await db.StringSetAsync(key + ":before", "1", TimeSpan.FromMinutes(5)));
        Assert.Equal("1", await GetAsync(before, key + ":before"));

        TimeSpan? landed = null;
        var stillOnOld = false;
        var run = await ChaosRun.RunAsync(
            (caller, i, _) => db.StringSetAsync($"{key}:{caller}", i, TimeSpan.FromMinutes(5)),
            async () =>
            {
                var clock = Stopwatch.StartNew();
                var failover = await sentinel.FailoverAsync();
                try
                {
                    // Where does a write go right after the sentinels switched?
                    await db.StringSetAsync(key + ":switched", "3", TimeSpan.FromMinutes(5));
                    stillOnOld = await GetAsync(failover.OldPrimaryPort, key + ":switched") == "3";
                }
                catch (RedisException)
                {
                }

                await WaitForWritesOnAsync(db, key, failover.NewPrimaryPort);
                landed = clock.Elapsed;
                await sentinel.WaitForHealthyAsync();
                return failover;
            },
            new ChaosOptions { Callers = 4, CallInterval = TimeSpan.FromMilliseconds(1), After = TimeSpan.FromSeconds(2) });

        output.WriteLine($"SENTINEL FAILOVER → every sentinel reports the new primary: {run.ActionResult.Elapsed.TotalMilliseconds:F0} ms; "
            + $"→ StackExchange.Redis writes land on it: {landed?.TotalMilliseconds:F0} ms (a write right after the switch went to the old primary: {stillOnOld}); "
            + $"→ old primary replicating from the new one: {run.ActionElapsed.TotalMilliseconds:F0} ms; traffic: {run}");
        Assert.Equal(before, run.ActionResult.OldPrimaryPort);
        Assert.NotEqual(before, run.ActionResult.NewPrimaryPort);
        Assert.Equal(run.ActionResult.NewPrimaryPort, await sentinel.GetPrimaryPortAsync());
        Assert.StartsWith("master", await RedisCli.CommandAsync(run.ActionResult.NewPrimaryPort, "ROLE"), StringComparison.Ordinal);
        Assert.True(run.SuccessesByPhase[(int)ChaosPhase.After] > 0, run.ToString());
        Assert.True(await db.StringSetAsync(key + ":after", "2", TimeSpan.FromMinutes(5)));
        Assert.Equal("2", await GetAsync(run.ActionResult.NewPrimaryPort, key + ":after"));
    }

    [Fact]
    public async Task KillPrimary_MidTraffic_WritesLandOnThePromotedReplica()
    {
        await sentinel.WaitForHealthyAsync();
        await using var mux = await ConnectAsync();
        var db = mux.GetDatabase();
        var key = "fixture-sentinel-kill:" + Guid.NewGuid().ToString("N");

        TimeSpan? landed = null;
        var run = await ChaosRun.RunAsync(
            (caller, i, _) => db.StringSetAsync($"{key}:{caller}", i, TimeSpan.FromMinutes(5)),
            async () =>
            {
                var clock = Stopwatch.StartNew();
                var failover = await sentinel.KillPrimaryAsync();
                await WaitForWritesOnAsync(db, key, failover.NewPrimaryPort);
                landed = clock.Elapsed;
                return failover;
            },
            new ChaosOptions { Callers = 4, CallInterval = TimeSpan.FromMilliseconds(1), After = TimeSpan.FromSeconds(2) });

        output.WriteLine($"SIGKILL primary → every sentinel reports the promoted replica: {run.ActionResult.Elapsed.TotalMilliseconds:F0} ms; "
            + $"→ StackExchange.Redis writes land on it: {landed?.TotalMilliseconds:F0} ms; traffic: {run}");
        Assert.NotEqual(run.ActionResult.OldPrimaryPort, run.ActionResult.NewPrimaryPort);
        Assert.True(run.SuccessesByPhase[(int)ChaosPhase.After] > 0, run.ToString());

        var restarted = Stopwatch.StartNew();
        await sentinel.RestartServerAsync(run.ActionResult.OldPrimaryPort);
        output.WriteLine($"old primary restarted and turned into a replica by the sentinels after {restarted.Elapsed.TotalMilliseconds:F0} ms");
        var replication = RedisCli.ParseInfo(await RedisCli.CommandAsync(run.ActionResult.OldPrimaryPort, "INFO", "replication"));
        Assert.Equal("slave", replication["role"]);
        Assert.Equal(run.ActionResult.NewPrimaryPort.ToString(CultureInfo.InvariantCulture), replication["master_port"]);
    }

    [Fact]
    public async Task FailoverAsync_RefusedWhileNoReplicaQualifies_RetriesUntilOneDoes()
    {
        await sentinel.WaitForHealthyAsync();
        var primary = await sentinel.GetPrimaryPortAsync();
        var replica = sentinel.Servers.Single(s => s.Port != primary).Port;
        var first = sentinel.Sentinels[0].Port;

        // A replica with priority 0 is never promoted: SENTINEL FAILOVER answers NOGOODSLAVE, as it does on a loaded
        // machine when the sentinel's last word from the replica is too old. Wait until the sentinel has seen it.
        await RedisCli.CommandAsync(replica, "CONFIG", "SET", "replica-priority", "0");
        try
        {
            await RedisCli.WaitUntilAsync(
                async () => (await RedisCli.CommandAsync(first, "SENTINEL", "REPLICAS", RedisSentinelFixture.ServiceName)).Contains("slave-priority\n0\n", StringComparison.Ordinal),
                "the sentinel to see the replica's priority 0",
                TimeSpan.FromSeconds(30));
            Assert.Contains("NOGOODSLAVE", await ReplyOrErrorAsync(first, "SENTINEL", "FAILOVER", RedisSentinelFixture.ServiceName), StringComparison.Ordinal);

            var failover = sentinel.FailoverAsync();
            await Task.Delay(TimeSpan.FromSeconds(2));
            Assert.False(failover.IsCompleted);
            Assert.Equal(primary, await sentinel.GetPrimaryPortAsync());

            // Once the replica qualifies again (the sentinel reads its priority within its 10 s INFO period), a retry promotes it.
            await RedisCli.CommandAsync(replica, "CONFIG", "SET", "replica-priority", "100");
            var result = await failover;

            output.WriteLine($"failover reported {result.Elapsed.TotalMilliseconds:F0} ms after it was first asked for");
            Assert.Equal(primary, result.OldPrimaryPort);
            Assert.Equal(replica, result.NewPrimaryPort);
        }
        finally
        {
            await RedisCli.CommandAsync(replica, "CONFIG", "SET", "replica-priority", "100");
        }
    }

    /// <summary>redis-cli's output for a command, or for an error reply the text it failed with (it exits with 0 or 1,
    /// depending on the version).</summary>
    private static async Task<string> ReplyOrErrorAsync(int port, params string[] arguments)
    {
        try
        {
            return await RedisCli.CommandAsync(port, arguments);
        }
        catch (InvalidOperationException ex)
        {
            return ex.Message;
        }
    }

    private async Task<ConnectionMultiplexer> ConnectAsync()
    {
        var options = ConfigurationOptions.Parse(sentinel.ConfigurationString);
        options.AbortOnConnectFail = false;
        options.BacklogPolicy = BacklogPolicy.FailFast;
        options.ConnectTimeout = 2000;
        options.AsyncTimeout = options.SyncTimeout = 2000;
        var mux = await ConnectionMultiplexer.ConnectAsync(options);
        Assert.Equal(await sentinel.GetPrimaryPortAsync(), Assert.IsType<System.Net.IPEndPoint>(mux.GetDatabase().IdentifyEndpoint("k")).Port);
        return mux;
    }

    private static async Task<string> GetAsync(int port, string key) => (await RedisCli.CommandAsync(port, "GET", key)).TrimEnd('\n');

    // The new primary no longer replicates from the old one, so a value written now and read back from it got there
    // through the multiplexer.
    private static Task WaitForWritesOnAsync(IDatabase db, string key, int port)
    {
        var probe = 0;
        return RedisCli.WaitUntilAsync(
            async () =>
            {
                var value = (++probe).ToString(CultureInfo.InvariantCulture);
                try
                {
                    await db.StringSetAsync(key + ":probe", value, TimeSpan.FromMinutes(5));
                }
                catch (RedisException)
                {
                    return false;
                }

                return await GetAsync(port, key + ":probe") == value;
            },
            "a write through the multiplexer to land on the new primary",
            TimeSpan.FromSeconds(60));
    }
}
