namespace HybridCaching;

// Work given up on (a timeout, every caller gone) still ends some day: its failure is observed, so it never surfaces
// as an unobserved task exception.
internal static class TaskObservation
{
    public static void ObserveFailure(Task task)
        => task.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
}
