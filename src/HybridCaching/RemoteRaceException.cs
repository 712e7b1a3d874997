namespace HybridCaching;

/// <summary>
/// The run that another server led for the same key (through a shared adapter's <see cref="ICacheRace.RaceAsync"/>,
/// e.g. Redis) failed; its error message travelled through the cache and is this exception's
/// <see cref="Exception.Message"/>. Callers in the leader's own process receive the original exception instead.
/// </summary>
public sealed class RemoteRaceException : Exception
{
    /// <summary>Creates an exception with no message.</summary>
    public RemoteRaceException()
    {
    }

    /// <summary>Creates an exception carrying the leader's error message.</summary>
    /// <param name="message">The leader's error message.</param>
    public RemoteRaceException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with a message and the error that caused it.</summary>
    /// <param name="message">The leader's error message.</param>
    /// <param name="innerException">The cause.</param>
    public RemoteRaceException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
