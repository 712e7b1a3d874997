using HybridCaching.Testing;

namespace HybridCaching.Redis.Tests.Fixtures;

/// <summary>The chaos-run helper counts every call once, in the phase it started in, and keeps the failures' exceptions.</summary>
public sealed class ChaosRunTests
{
    [Fact]
    public async Task RunAsync_CallsFailWhileActionRuns_CountedByPhaseAndType()
    {
        var failing = 0;
        long failed = 0;
        long succeeded = 0;

        var run = await ChaosRun.RunAsync(
            async (_, _, _) =>
            {
                await Task.Yield();
                if (Volatile.Read(ref failing) == 1)
                {
                    Interlocked.Increment(ref failed);
                    throw new InvalidOperationException("down");
                }

                Interlocked.Increment(ref succeeded);
            },
            async () =>
            {
                Volatile.Write(ref failing, 1);
                while (Interlocked.Read(ref failed) < 20)
                {
                    await Task.Delay(5);
                }

                Volatile.Write(ref failing, 0);
                return "done";
            },
            new ChaosOptions { Callers = 4, CallInterval = TimeSpan.FromMilliseconds(1), WarmUpSuccesses = 30, After = TimeSpan.FromMilliseconds(200), MaxExceptions = 5 });

        Assert.Equal("done", run.ActionResult);
        Assert.True(run.SuccessesByPhase[(int)ChaosPhase.Before] >= 30, run.ToString());

        // A call counts in the phase it started in: only calls already in flight when the action began (one per caller) fail as "before".
        Assert.InRange(run.FailuresByPhase[(int)ChaosPhase.Before], 0, 4);
        Assert.True(run.Failures >= 20, run.ToString());
        Assert.True(run.FailuresByPhase[(int)ChaosPhase.During] > 0, run.ToString());

        // The flag is cleared before the action returns, so no call started after it fails.
        Assert.Equal(0, run.FailuresByPhase[(int)ChaosPhase.After]);
        Assert.Equal(Interlocked.Read(ref failed), run.Failures);
        Assert.Equal(Interlocked.Read(ref succeeded), run.Successes);
        Assert.Equal(run.Failures, run.FailuresByType["InvalidOperationException"]);
        Assert.Equal(5, run.Exceptions.Count);
        Assert.All(run.Exceptions, e => Assert.Equal("down", e.Message));
    }

    [Fact]
    public async Task RunAsync_CallHangs_CountedAsTimeoutFailure()
    {
        var hang = 0;
        var run = await ChaosRun.RunAsync(
            (_, _, _) => Volatile.Read(ref hang) == 1 ? Task.Delay(Timeout.Infinite) : Task.Delay(1),
            async () =>
            {
                Volatile.Write(ref hang, 1);
                await Task.Delay(500);
                Volatile.Write(ref hang, 0);
            },
            new ChaosOptions { Callers = 2, WarmUpSuccesses = 5, CallTimeout = TimeSpan.FromMilliseconds(100), After = TimeSpan.FromMilliseconds(300) });

        Assert.True(run.FailuresByType.TryGetValue(nameof(TimeoutException), out var timeouts) && timeouts > 0, run.ToString());
        Assert.Equal(run.Failures, timeouts);
    }
}
