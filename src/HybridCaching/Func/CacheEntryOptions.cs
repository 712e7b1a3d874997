namespace HybridCaching;

/// <summary>Per-call overrides of a <see cref="CacheFunc"/>'s freshFor and ttl, for
/// <c>DoAsync</c> and <c>SetAsync</c>; a setting left null keeps the <see cref="CacheFunc"/>'s value.</summary>
/// <remarks>The overrides decide the entry the call writes: its best-before time (now + freshFor) travels in the
/// stored envelope, so later hits by any caller (or a Go service) see it. A factory may change both again for its
/// own result through <see cref="CacheFuncContext.FreshFor"/> and <see cref="CacheFuncContext.Ttl"/>. A background
/// refresh started by a call made with options runs that call's factory with the same options.</remarks>
public sealed record CacheEntryOptions
{
    /// <summary>How long the value written by this call is fresh.</summary>
    /// <value>Null (the <see cref="CacheFunc"/>'s freshFor) or positive. Longer than the entry's ttl, the value expires
    /// before it goes stale: it is never served stale or refreshed in the background.</value>
    /// <exception cref="ArgumentOutOfRangeException">Set to zero or a negative duration.</exception>
    public TimeSpan? FreshFor
    {
        get;
        init
        {
            CacheDurations.ThrowIfNotPositive(value, nameof(FreshFor));
            field = value;
        }
    }

    /// <summary>How long the value written by this call stays stored.</summary>
    /// <value>Null (the <see cref="CacheFunc"/>'s ttl) or positive.</value>
    /// <exception cref="ArgumentOutOfRangeException">Set to zero or a negative duration.</exception>
    public TimeSpan? Ttl
    {
        get;
        init
        {
            CacheDurations.ThrowIfNotPositive(value, nameof(Ttl));
            field = value;
        }
    }

    internal void ApplyTo(CacheFuncContext context)
    {
        context.FreshFor = FreshFor ?? context.FreshFor;
        context.Ttl = Ttl ?? context.Ttl;
    }
}
