namespace HybridCaching.AspNetCore;

/// <content>Endpoint policies: the mode and the named policies.</content>
public sealed partial class HybridResponseCachingOptions
{
    private readonly Dictionary<string, HybridResponseCachePolicy> _policies = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Whether only endpoints that opted in (with <c>CacheHybridResponse(...)</c> or
    /// <see cref="CacheHybridResponseAttribute"/>) are cached.</summary>
    /// <value>Default <see langword="false"/>: every request the safe defaults allow is cached, as by the Go original
    /// (an endpoint's policy, when it has one, changes how). When <see langword="true"/>, a request whose endpoint has
    /// no policy — or that matched no endpoint — passes through untouched: no caching, no headers added. The
    /// middleware reads the endpoint chosen by routing, so it must come after <c>UseRouting()</c> (a
    /// <c>WebApplication</c> runs routing first unless told otherwise); placed before it, requests pass through
    /// uncached and warning 4005 says so once an endpoint with a policy is reached.</value>
    public bool EndpointsOnly { get; set; }

    /// <summary>Gets the named policies.</summary>
    internal IReadOnlyDictionary<string, HybridResponseCachePolicy> Policies => _policies;

    /// <summary>Registers a named policy for <c>CacheHybridResponse("name")</c> and
    /// <see cref="CacheHybridResponseAttribute.PolicyName"/>.</summary>
    /// <param name="name">The name, compared case-insensitively; not registered before.</param>
    /// <param name="configure">Sets the policy; run once, here.</param>
    /// <returns>These options.</returns>
    /// <exception cref="ArgumentException">The name is already registered.</exception>
    /// <exception cref="InvalidOperationException">The policy has a non-positive duration or an empty name or tag.</exception>
    public HybridResponseCachingOptions AddPolicy(string name, Action<HybridResponseCachePolicy> configure)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(configure);
        var policy = new HybridResponseCachePolicy();
        configure(policy);
        policy.Validate($"Policy '{name}'");
        if (!_policies.TryAdd(name, policy))
        {
            throw new ArgumentException($"A hybrid response-caching policy named '{name}' is already registered.", nameof(name));
        }

        return this;
    }
}
