namespace HybridCaching;

// Work bounded by a timeout (a race's waitFor): its token fires at the timeout or on the caller's cancellation, and the
// caller gets a TimeoutException at the timeout even when the work ignores its token.
internal static class BoundedRun
{
    public static async Task<TResult> RunAsync<TState, TResult>(
        string key,
        TState state,
        Func<TState, CancellationToken, Task<TResult>> work,
        TimeSpan timeout,
        TimeProvider timeProvider,
        CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        using var bound = new CancellationTokenSource(timeout, timeProvider);
        using var link = cancellationToken.UnsafeRegister(static s => ((CancellationTokenSource)s!).Cancel(), bound);
        Task<TResult>? running = null;
        try
        {
            running = work(state, bound.Token);
            return await running.WaitAsync(bound.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (bound.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"The call for key '{key}' did not complete within {timeout}.", ex);
        }
        finally
        {
            if (running is { IsCompleted: false })
            {
                // Given up on: whatever it ends with has no one left to receive it.
                TaskObservation.ObserveFailure(running);
            }
        }
    }
}
