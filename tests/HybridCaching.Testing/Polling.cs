using Microsoft.Extensions.Time.Testing;

namespace HybridCaching.Testing;

/// <summary>Waits for outcomes that land on another thread (a background refresh, a store after the response).</summary>
public static class Polling
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(10);

    /// <summary>Polls <paramref name="condition"/> until it holds; fails the test after a 10 s hang guard.</summary>
    public static async Task EventuallyAsync(Func<Task<bool>> condition)
    {
        using var guard = new CancellationTokenSource(HangGuard);
        while (!await condition())
        {
            try
            {
                await Task.Delay(5, guard.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException("Hang guard: the condition was not met within 10 s.");
            }
        }
    }

    /// <inheritdoc cref="EventuallyAsync(Func{Task{bool}})"/>
    public static Task EventuallyAsync(Func<bool> condition) => EventuallyAsync(() => Task.FromResult(condition()));

    /// <summary>A failed background refresh is retried only after the suppression window (min(2 s, freshFor)):
    /// call this on each poll to move past it. The short real pause bounds how far the clock moves within the
    /// poll's hang guard (well under a 1 h TTL).</summary>
    public static async Task PassRetryWindowAsync(FakeTimeProvider time)
    {
        await Task.Delay(20);
        time.Advance(TimeSpan.FromSeconds(2));
    }
}
