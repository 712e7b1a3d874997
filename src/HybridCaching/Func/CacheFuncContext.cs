namespace HybridCaching;

/// <summary>What a <see cref="CacheFunc"/> factory learns about its run, and how it can ask that the
/// result not be cached.</summary>
public sealed class CacheFuncContext
{
    private readonly object? _staleValue;

    internal CacheFuncContext(string key, bool isBackgroundRefresh, object? staleValue = null)
    {
        Key = key;
        IsBackgroundRefresh = isBackgroundRefresh;
        _staleValue = staleValue;
    }

    /// <summary>The cache key being computed.</summary>
    public string Key { get; }

    /// <summary>Whether this run refreshes a stale value in the background (no caller is waiting on it),
    /// rather than answering a miss.</summary>
    public bool IsBackgroundRefresh { get; }

    /// <summary>Gets the stale value a background refresh is replacing (FusionCache's <c>StaleValue</c>), e.g. to ask
    /// its source only whether it changed (an HTTP <c>If-None-Match</c> with its ETag).</summary>
    /// <typeparam name="TValue">The call's value type.</typeparam>
    /// <param name="value">The stale value (which may be null, a value like any other), or default.</param>
    /// <returns><see langword="true"/> on a background refresh (<see cref="IsBackgroundRefresh"/>): the value whose stale hit
    /// started it; <see langword="false"/> when the factory answers a miss (there is no value yet).</returns>
    /// <exception cref="InvalidCastException">The stale value is not a <typeparamref name="TValue"/> (ask with the call's value type).</exception>
    public bool TryGetStaleValue<TValue>(out TValue? value)
    {
        if (!IsBackgroundRefresh)
        {
            value = default;
            return false;
        }

        value = _staleValue is null && default(TValue) is null ? default : (TValue)_staleValue!;
        return true;
    }

    /// <summary>Set to <see langword="true"/> to return the result to every waiting caller without
    /// storing it (the Go original's <c>ErrNoCache</c>).</summary>
    public bool NoCache { get; set; }

    /// <summary>How long the result stays fresh: a hit after that returns it at once and refreshes it in the
    /// background. The factory may change it to suit the value it produced.</summary>
    /// <value>Positive; starts as the call's <see cref="CacheEntryOptions.FreshFor"/>, or the
    /// <see cref="CacheFunc"/>'s freshFor.</value>
    /// <exception cref="ArgumentOutOfRangeException">Set to zero or a negative duration.</exception>
    public TimeSpan FreshFor
    {
        get;
        set
        {
            CacheDurations.ThrowIfNotPositive(value, nameof(FreshFor));
            field = value;
        }
    }

    /// <summary>How long the result stays stored. The factory may change it to suit the value it produced
    /// (e.g. the lifetime of a token it fetched).</summary>
    /// <value>Positive; starts as the call's <see cref="CacheEntryOptions.Ttl"/>, or the <see cref="CacheFunc"/>'s ttl.</value>
    /// <exception cref="ArgumentOutOfRangeException">Set to zero or a negative duration.</exception>
    public TimeSpan Ttl
    {
        get;
        set
        {
            CacheDurations.ThrowIfNotPositive(value, nameof(Ttl));
            field = value;
        }
    }

    /// <summary>The tags stored with the result (set by the <c>DoAsync</c> overload that takes tags, or by the factory);
    /// <see cref="CacheFunc.RemoveByTagAsync(string, CancellationToken)"/> makes every entry carrying one of them a miss. Entries without tags stay
    /// byte-identical to the Go original's.</summary>
    /// <value>Null, or tags none of which is null, empty or has an unpaired surrogate (tags are stored as UTF-8).</value>
    /// <exception cref="ArgumentException">Set to tags holding a null or empty tag, or one with an unpaired surrogate.</exception>
    public IReadOnlyCollection<string>? Tags
    {
        get;
        set
        {
            TagInvalidations.ThrowIfInvalid(value, nameof(Tags));
            field = value;
        }
    }
}
