namespace HybridCaching.Tests.Func;

// On the system clock the single-flight starts its timeout's timer only for work still running when it returns, counting
// from when the run began: work that blocked past the timeout before returning still times out.
public sealed class SingleFlightTimeoutTests
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task SystemClock_WorkStillRunning_TimesOutAndCancelsItsToken()
    {
        var flight = new SingleFlight<int>();
        var token = CancellationToken.None;

        var run = flight.RunAsync(
            "key",
            0,
            (_, t) =>
            {
                token = t;
                return new ValueTask<int>(Task.Delay(Timeout.Infinite, t).ContinueWith(_ => 1, TaskScheduler.Default));
            },
            TimeSpan.FromMilliseconds(50));

        await Assert.ThrowsAsync<TimeoutException>(() => run.WaitAsync(HangGuard));
        Assert.True(token.IsCancellationRequested);
        Assert.Equal(0, flight.Count);
    }

    [Fact]
    public async Task SystemClock_WorkBlockingPastTheTimeoutBeforeReturning_TimesOut()
    {
        var flight = new SingleFlight<int>();
        var never = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);

        var run = flight.RunAsync(
            "key",
            0,
            (_, _) =>
            {
                Thread.Sleep(200);
                return new ValueTask<int>(never.Task);
            },
            TimeSpan.FromMilliseconds(50));

        await Assert.ThrowsAsync<TimeoutException>(() => run.WaitAsync(HangGuard));
    }

    [Fact]
    public async Task SystemClock_WorkFinishedAtOnce_ReturnsItsResult()
    {
        var flight = new SingleFlight<int>();

        Assert.Equal(7, await flight.RunAsync("key", 7, static (state, _) => new ValueTask<int>(state), TimeSpan.FromMilliseconds(50)));
        Assert.Equal(0, flight.Count);
    }
}
