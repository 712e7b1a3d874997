namespace HybridCaching;

/// <summary>Per-call overrides of a <see cref="CacheFunc"/>'s freshFor and ttl, for
/// <c>DoAsync</c> and <c>SetAsync</c>; a setting left null keeps the <see cref="CacheFunc"/>'s value.</summary>
/// <remarks>The overrides decide the entry the call writes: its best-before time (now + freshFor) travels in the
/// stored envelope, so later hits by any caller (or a Go service) see it. A factory may change both again for its
/// own result through <see cref="CacheFuncContext.FreshFor"/> and <see cref="CacheFuncContext.Ttl"/>. A background
/// refresh started by a call made with options runs that call's factory with the same options.</remarks>
public sealed record CacheEntryOptions
{
    private readonly TimeSpan? _freshFor;
    private readonly TimeSpan? _ttl;

    /// <summary>How long the value written by this call is fresh.</summary>
    /// <value>Null (the <see cref="CacheFunc"/>'s freshFor) or positive.</value>
    /// <exception cref="ArgumentOutOfRangeException">Set to zero or a negative duration.</exception>
    public TimeSpan? FreshFor
    {
        get => _freshFor;
        init
        {
            CacheDurations.ThrowIfNotPositive(value, nameof(FreshFor));
            _freshFor = value;
        }
    }

    /// <summary>How long the value written by this call stays stored.</summary>
    /// <value>Null (the <see cref="CacheFunc"/>'s ttl) or positive.</value>
    /// <exception cref="ArgumentOutOfRangeException">Set to zero or a negative duration.</exception>
    public TimeSpan? Ttl
    {
        get => _ttl;
        init
        {
            CacheDurations.ThrowIfNotPositive(value, nameof(Ttl));
            _ttl = value;
        }
    }

    internal void ApplyTo(CacheFuncContext context)
    {
        context.FreshFor = _freshFor ?? context.FreshFor;
        context.Ttl = _ttl ?? context.Ttl;
    }
}
