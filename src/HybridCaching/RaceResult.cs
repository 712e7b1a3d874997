namespace HybridCaching;

/// <summary>
/// The outcome of a run suppressed by <see cref="ICacheRace.RaceAsync"/>: the bytes it produced, or none.
/// </summary>
/// <param name="Value">The bytes produced, or <see langword="null"/> for "no value" (the Go original's
/// nil result and its <c>ErrNotFound</c> both map here; so does its <c>ErrNoCache</c>, with the value it carries:
/// waiters receive it, and only the leader decides whether it is stored).</param>
public readonly record struct RaceResult(byte[]? Value);
