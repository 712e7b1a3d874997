namespace HybridCaching;

// A CacheFunc's three durations, their defaults and their one rule (each is positive; in configuration, FreshFor is at
// most Ttl too), checked here by every settings type that carries them, so all accept and reject alike, in the same words.
// FreshFor longer than Ttl (never served stale) is most likely a swap in configuration and fails at start; in code it has
// a use (a short Ttl alone, for a plain expiring cache) and is accepted, with a warning from CacheFunc.
internal readonly record struct CacheDurations(TimeSpan WaitFor, TimeSpan FreshFor, TimeSpan Ttl)
{
    public static CacheDurations Default { get; } = new(TimeSpan.FromSeconds(20), TimeSpan.FromMinutes(1), TimeSpan.FromHours(1));

    // Throws for the first duration that is not positive, named as its setting unless other names (a constructor's) are given.
    public CacheDurations Validate(string waitFor = nameof(WaitFor), string freshFor = nameof(FreshFor), string ttl = nameof(Ttl))
    {
        ThrowIfNotPositive(WaitFor, waitFor);
        ThrowIfNotPositive(FreshFor, freshFor);
        ThrowIfNotPositive(Ttl, ttl);
        return this;
    }

    // The configuration rule's message for each duration that is set and breaks it, named after prefix (a configuration path).
    public static IEnumerable<string> Problems(TimeSpan? waitFor, TimeSpan? freshFor, TimeSpan? ttl, string prefix = "")
        => new[]
            {
                Problem(waitFor, prefix + nameof(WaitFor)),
                Problem(freshFor, prefix + nameof(FreshFor)),
                Problem(ttl, prefix + nameof(Ttl)),
                freshFor > TimeSpan.Zero ? OrderProblem(freshFor, ttl, prefix + nameof(FreshFor), prefix + nameof(Ttl)) : null,
            }
            .OfType<string>();

    public static void ThrowIfNotPositive(TimeSpan? value, string name)
    {
        if (Problem(value, name) is { } problem)
        {
            throw new ArgumentOutOfRangeException(name, problem);
        }
    }

    private static string? Problem(TimeSpan? value, string name)
        => value <= TimeSpan.Zero ? $"{name} must be a positive TimeSpan (e.g. \"00:01:00\"); it is \"{value}\"." : null;

    private static string? OrderProblem(TimeSpan? freshFor, TimeSpan? ttl, string freshForName, string ttlName)
        => freshFor > ttl && ttl > TimeSpan.Zero
            ? $"{freshForName} (\"{freshFor}\") is longer than {ttlName} (\"{ttl}\"): a value would expire before it goes stale. "
                + $"Set {freshForName} to at most \"{ttl}\", or {ttlName} to at least \"{freshFor}\"."
            : null;
}
