namespace HybridCaching.Tests.Func;

[CollectionDefinition(nameof(UnobservedTaskTests), DisableParallelization = true)]
public sealed class UnobservedTaskCollection;

// Counts TaskScheduler.UnobservedTaskException, a process-wide event: this collection runs alone.
[Collection(nameof(UnobservedTaskTests))]
public sealed class UnobservedTaskTests
{
    public static TheoryData<string> Adapters => new() { "memory", "hybrid" };

    private static ICacheAdapter NewAdapter(string name) => name == "memory"
        ? new MemoryCache(1000, 1 << 20, TimeSpan.Zero)
        : new HybridCache(new MemoryCache(1000, 1 << 20, TimeSpan.Zero), new MemoryCache(1000, 1 << 20, TimeSpan.Zero));

    private static async Task<List<Exception>> UnobservedDuringAsync(Func<Task> scenario)
    {
        FlushFinalizers();
        var unobserved = new List<Exception>();
        void OnUnobserved(object? sender, UnobservedTaskExceptionEventArgs e)
        {
            lock (unobserved)
            {
                unobserved.Add(e.Exception);
            }
        }

        TaskScheduler.UnobservedTaskException += OnUnobserved;
        try
        {
            await scenario();
            FlushFinalizers();
        }
        finally
        {
            TaskScheduler.UnobservedTaskException -= OnUnobserved;
        }

        return unobserved;
    }

    private static void FlushFinalizers()
    {
        for (var i = 0; i < 3; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
    }

    [Theory]
    [MemberData(nameof(Adapters))]
    public async Task DoAsync_FactoryFailsAfterWaitFor_NoUnobservedTaskException(string adapter)
    {
        await using var cache = NewAdapter(adapter);
        var func = new CacheFunc(cache, TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(1), TimeSpan.FromHours(1));
        var finished = new CountdownEvent(5);

        var unobserved = await UnobservedDuringAsync(async () =>
        {
            for (var i = 0; i < 5; i++)
            {
                await Assert.ThrowsAsync<TimeoutException>(async () => await func.DoAsync<string>("late-" + i, async _ =>
                {
                    try
                    {
                        await Task.Delay(300, CancellationToken.None);
                        throw new InvalidOperationException("late failure");
                    }
                    finally
                    {
                        finished.Signal();
                    }
                }));
            }

            Assert.True(finished.Wait(TimeSpan.FromSeconds(30)), "The factories did not finish.");
            await Task.Delay(200); // let the abandoned runs complete their continuations
        });

        Assert.Empty(unobserved);
    }

    [Theory]
    [MemberData(nameof(Adapters))]
    public async Task DoAsync_EveryCallerCancels_NoUnobservedTaskException(string adapter)
    {
        await using var cache = NewAdapter(adapter);
        var func = new CacheFunc(cache, TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(1), TimeSpan.FromHours(1));

        var unobserved = await UnobservedDuringAsync(async () =>
        {
            var factoryStopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using var cts = new CancellationTokenSource();
            var call = func.DoAsync<string>("abandoned", async token =>
            {
                try
                {
                    await Task.Delay(Timeout.Infinite, token);
                    return "never";
                }
                finally
                {
                    factoryStopped.SetResult();
                }
            }, cts.Token).AsTask();

            await cts.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
            await factoryStopped.Task.WaitAsync(TimeSpan.FromSeconds(30));
            await Task.Delay(200);
        });

        Assert.Empty(unobserved);
    }
}
