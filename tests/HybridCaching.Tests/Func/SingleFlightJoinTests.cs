namespace HybridCaching.Tests.Func;

// A run that finishes at once hands its starter the result without a task; a caller that joined it while the work was
// still running gets the same result through the task made for it.
public sealed class SingleFlightJoinTests
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task JoinerWhileWorkRunsSynchronously_GetsTheSameResultAndTheWorkRunsOnce()
    {
        var flight = new SingleFlight<object>();
        var result = new object();
        using var started = new ManualResetEventSlim();
        using var joined = new ManualResetEventSlim();
        var runs = 0;

        // The work finishes synchronously, but only after a second caller has joined the run.
        var starter = Task.Run(() => flight.RunAsync(
            "key",
            0,
            (_, _) =>
            {
                Interlocked.Increment(ref runs);
                started.Set();
                Assert.True(joined.Wait(HangGuard));
                return new ValueTask<object>(result);
            },
            HangGuard));

        Assert.True(started.Wait(HangGuard));
        var joiner = flight.RunAsync("key", 0, (_, _) => throw new InvalidOperationException("a joiner's work never runs"), HangGuard);
        joined.Set();

        Assert.Same(result, await starter.WaitAsync(HangGuard));
        Assert.Same(result, await joiner.WaitAsync(HangGuard));
        Assert.Equal(1, runs);
        Assert.Equal(0, flight.Count);
    }
}
