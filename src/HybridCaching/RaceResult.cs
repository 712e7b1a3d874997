namespace HybridCaching;

/// <summary>
/// The outcome of a run suppressed by <see cref="ICacheRace.RaceAsync"/>: a value (or none), and
/// whether it must not be cached.
/// </summary>
/// <param name="Value">The bytes produced, or <see langword="null"/> for "no value" (the Go original's
/// nil result and its <c>ErrNotFound</c> both map here).</param>
/// <param name="NoCache">Whether the producer asked that the value not be stored (the Go original's
/// <c>ErrNoCache</c>); waiters still receive the value.</param>
public readonly record struct RaceResult(byte[]? Value, bool NoCache = false);
