using System.Diagnostics;
using HybridCaching.Testing;
using HybridCaching.Testing.Redis;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace HybridCaching.Redis.Tests.Fixtures;

/// <summary>The cluster fixture works with StackExchange.Redis: keys on every primary, sharded pub/sub, a primary killed
/// mid-traffic, a slot range resharded mid-traffic. Figures are written to the test output, never asserted.</summary>
[Collection(ClusterCollection.Name)]
public sealed class RedisClusterFixtureTests(RedisClusterFixture cluster, ITestOutputHelper output)
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Connect_KeysInEveryPrimarysSlots_WrittenAndReadOnTheirPrimary()
    {
        await cluster.WaitForHealthyAsync();
        await using var mux = await ConnectAsync();
        var db = mux.GetDatabase();
        var primaries = await cluster.GetPrimariesAsync();
        output.WriteLine($"cluster start-up (6 processes, cluster create, healthy): {cluster.StartupTime.TotalMilliseconds:F0} ms");

        Assert.Equal(3, primaries.Count);
        foreach (var primary in primaries)
        {
            Assert.Equal(ServerType.Cluster, mux.GetServer(primary.EndPoint).ServerType);
            foreach (var slot in new[] { primary.Slots[0], primary.Slots[primary.Slots.Count / 2], primary.Slots[^1] })
            {
                var key = RedisHashSlot.KeyIn(slot, ":fixture-rw:" + Guid.NewGuid().ToString("N"));
                Assert.Equal(slot, RedisHashSlot.Of(key));
                Assert.Equal(slot, mux.HashSlot(key));
                Assert.True(await db.StringSetAsync(key, "v" + slot, TimeSpan.FromMinutes(5)));
                Assert.Equal("v" + slot, (string?)await db.StringGetAsync(key));
                var onPrimary = await RedisCli.CommandAsync(primary.Port, "GET", key);
                Assert.Equal("v" + slot, onPrimary.TrimEnd('\n'));
            }
        }
    }

    [Fact]
    public async Task ShardedPubSub_ChannelsOnEveryPrimary_DeliveredOnce()
    {
        await cluster.WaitForHealthyAsync();
        await using var subscriberMux = await ConnectAsync();
        await using var publisherMux = await ConnectAsync();
        var primaries = await cluster.GetPrimariesAsync();
        foreach (var primary in primaries)
        {
            var channel = RedisChannel.Sharded(RedisHashSlot.KeyIn(primary.Slots[1], ":fixture-pubsub:" + Guid.NewGuid().ToString("N")));
            var received = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
            var subscriber = subscriberMux.GetSubscriber();
            await subscriber.SubscribeAsync(channel, (_, message) => received.TrySetResult(message!));

            var receivers = await publisherMux.GetSubscriber().PublishAsync(channel, "hello " + primary.Port);

            Assert.Equal(1, receivers);
            Assert.Equal("hello " + primary.Port, await received.Task.WaitAsync(Guard));
            var numsub = await RedisCli.CommandAsync(primary.Port, "PUBSUB", "SHARDNUMSUB", channel.ToString());
            Assert.EndsWith("\n1", numsub.TrimEnd('\n'), StringComparison.Ordinal);
            await subscriber.UnsubscribeAsync(channel);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task PrimaryKilledOrHung_MidTraffic_WritesToItsSlotsSucceedAfterPromotion(bool hung)
    {
        await cluster.WaitForHealthyAsync();
        await using var mux = await ConnectAsync();
        var db = mux.GetDatabase();
        var victim = (await cluster.GetPrimariesAsync())[1];
        var slot = victim.Slots[10];
        var key = RedisHashSlot.KeyIn(slot, ":fixture-failover:" + Guid.NewGuid().ToString("N"));
        var what = hung ? "SIGSTOP" : "SIGKILL";
        var sinceFailure = new Stopwatch();

        var run = await ChaosRun.RunAsync(
            (caller, i, _) => db.StringSetAsync($"{key}:{caller}", i, TimeSpan.FromMinutes(5)),
            async () =>
            {
                await (hung ? cluster.PausePrimaryAsync(slot) : cluster.KillPrimaryAsync(slot));
                sinceFailure.Start();
                return await cluster.WaitForPromotionAsync(victim);
            },
            new ChaosOptions { Callers = 4, CallInterval = TimeSpan.FromMilliseconds(1) });

        // StackExchange.Redis learns the new owner of the slot by itself (no reconnect forced here). What it throws
        // meanwhile is counted: not only RedisException (a hung node's commands can end in TaskCanceledException).
        var probeFailures = new Dictionary<string, int>(StringComparer.Ordinal);
        await RedisCli.WaitUntilAsync(
            async () =>
            {
                try
                {
                    return await db.StringSetAsync(key, "after", TimeSpan.FromMinutes(5));
                }
                catch (Exception ex) when (ex is RedisException or OperationCanceledException)
                {
                    probeFailures[ex.GetType().Name] = probeFailures.GetValueOrDefault(ex.GetType().Name) + 1;
                    return false;
                }
            },
            "a write to the failed primary's slot through the multiplexer",
            TimeSpan.FromSeconds(90));
        var firstWrite = sinceFailure.Elapsed;
        output.WriteLine($"{what} → promoted replica serves the slot and every node says cluster_state:ok: {run.ActionElapsed.TotalMilliseconds:F0} ms; "
            + $"{what} → first StackExchange.Redis write to that slot succeeds: {firstWrite.TotalMilliseconds:F0} ms "
            + $"(failed probes before: {string.Join(", ", probeFailures.Select(p => $"{p.Key} x{p.Value}"))}); traffic to that slot: {run}");
        Assert.NotEqual(victim.Id, run.ActionResult.Id);
        Assert.Contains(slot, run.ActionResult.Slots);
        Assert.Equal("after", (await RedisCli.CommandAsync(run.ActionResult.Port, "GET", key)).TrimEnd('\n'));

        await (hung ? cluster.ResumeNodeAsync(victim) : cluster.RestartNodeAsync(victim));
        var rejoined = (await cluster.GetTopologyAsync()).Single(n => n.Id == victim.Id);
        Assert.False(rejoined.IsPrimary);
        Assert.Equal(run.ActionResult.Id, rejoined.PrimaryId);
    }

    [Fact]
    public async Task Reshard_MidTraffic_NoFailedWritesAndSlotsMoved()
    {
        await cluster.WaitForHealthyAsync();
        await using var mux = await ConnectAsync();
        var db = mux.GetDatabase();
        var primaries = await cluster.GetPrimariesAsync();
        var (from, to) = (primaries[0], primaries[2]);
        var slots = RedisClusterFixture.SlotsToMove(from, 20);
        var prefix = ":fixture-reshard:" + Guid.NewGuid().ToString("N") + ":";
        foreach (var slot in slots)
        {
            await db.StringSetAsync(RedisHashSlot.KeyIn(slot, prefix + "seed"), slot, TimeSpan.FromMinutes(5));
        }

        var run = await ChaosRun.RunAsync(
            async (caller, i, _) =>
            {
                var key = RedisHashSlot.KeyIn(slots[(int)((i + caller) % slots.Count)], prefix + caller);
                await db.StringSetAsync(key, i, TimeSpan.FromMinutes(5));
                Assert.Equal(i, (long)await db.StringGetAsync(key));
            },
            () => cluster.ReshardAsync(from, to, slots.Count),
            new ChaosOptions { Callers = 4, CallInterval = TimeSpan.FromMilliseconds(1) });

        output.WriteLine($"reshard of {slots.Count} slots ({slots[0]}..{slots[^1]}) from {from.EndPoint} to {to.EndPoint}: {run}");
        Assert.Equal(0, run.Failures);
        Assert.True(run.SuccessesByPhase[(int)ChaosPhase.During] > 0, run.ToString());
        var after = await cluster.GetTopologyAsync();
        Assert.All(slots, slot => Assert.Contains(slot, after.Single(n => n.Id == to.Id).Slots));
        Assert.All(slots, slot => Assert.DoesNotContain(slot, after.Single(n => n.Id == from.Id).Slots));
        foreach (var slot in slots)
        {
            var key = RedisHashSlot.KeyIn(slot, prefix + "seed");
            Assert.Equal(slot, (int)await db.StringGetAsync(key));
            Assert.Equal(slot.ToString(System.Globalization.CultureInfo.InvariantCulture), (await RedisCli.CommandAsync(to.Port, "GET", key)).TrimEnd('\n'));
        }
    }

    private Task<ConnectionMultiplexer> ConnectAsync()
    {
        var options = ConfigurationOptions.Parse(cluster.ConfigurationString);
        // What a cache would use: no throw at start, no queueing while a node is down, bounded commands.
        options.AbortOnConnectFail = false;
        options.BacklogPolicy = BacklogPolicy.FailFast;
        options.ConnectTimeout = 2000;
        options.AsyncTimeout = options.SyncTimeout = 2000;
        return ConnectionMultiplexer.ConnectAsync(options);
    }
}
