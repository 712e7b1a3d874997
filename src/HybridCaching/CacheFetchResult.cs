namespace HybridCaching;

/// <summary>The result of <see cref="ICacheAdapter.FetchAsync"/>: a value and its remaining time to live.</summary>
/// <param name="Value">The stored bytes, or <see langword="null"/> when the key was not found.</param>
/// <param name="TimeToLive">How long the value has left to live; <see cref="Timeout.InfiniteTimeSpan"/> for a
/// value stored without expiry (by another program); <see cref="TimeSpan.Zero"/> when not found.</param>
public readonly record struct CacheFetchResult(byte[]? Value, TimeSpan TimeToLive)
{
    /// <summary>The result for a key that is not stored.</summary>
    public static CacheFetchResult NotFound => default;

    /// <summary>Whether a value was found.</summary>
    [System.Diagnostics.CodeAnalysis.MemberNotNullWhen(true, nameof(Value))]
    public bool Found => Value is not null;
}
