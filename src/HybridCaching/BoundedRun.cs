namespace HybridCaching;

/// <summary>Work bounded by a timeout, as a race bounds its run by its waitFor: the work's token fires when the timeout
/// passes or the caller cancels, and the caller gets a <see cref="TimeoutException"/> at the timeout even when the
/// work ignores its token.</summary>
internal static class BoundedRun
{
    /// <summary>Runs <paramref name="work"/> bounded by <paramref name="timeout"/> and by <paramref name="cancellationToken"/>.</summary>
    /// <typeparam name="TState">State passed to <paramref name="work"/> (avoids a closure).</typeparam>
    /// <typeparam name="TResult">The work's result.</typeparam>
    /// <param name="key">The key the work is for (named in the timeout's message).</param>
    /// <param name="state">Passed to <paramref name="work"/>.</param>
    /// <param name="work">The work.</param>
    /// <param name="timeout">How long the work may take; positive.</param>
    /// <param name="timeProvider">The clock the timeout runs on.</param>
    /// <param name="cancellationToken">Cancels the work.</param>
    /// <returns>The work's result.</returns>
    /// <exception cref="TimeoutException"><paramref name="timeout"/> passed first.</exception>
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
                _ = running.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }
        }
    }
}
