using System.Collections.Concurrent;
using HybridCaching.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace HybridCaching.AspNetCore;

// Finds the policy of a request's endpoint (its last HybridResponseCachePolicy or CacheHybridResponseAttribute
// metadata), resolved once per metadata object. The middleware's own cache function is options.CacheFunc, or one built
// over options.Cache.
internal sealed class EndpointPolicies(HybridResponseCachingOptions options, TimeProvider time, ILogger logger)
{
    private readonly bool _endpointsOnly = options.EndpointsOnly;
    private readonly EndpointPolicy _default = new(options.CacheFunc ?? NewFunc(options.WaitFor, (options, time, logger)), new HybridResponseCachePolicy());
    private readonly ConcurrentDictionary<object, EndpointPolicy> _resolved = new(ReferenceEqualityComparer.Instance);
    private readonly ConcurrentDictionary<TimeSpan, CacheFunc> _funcs = new();

    public static object? FindMetadata(Endpoint? endpoint)
    {
        var metadata = endpoint?.Metadata ?? EndpointMetadataCollection.Empty;
        for (int i = metadata.Count - 1; i >= 0; i--)
        {
            if (metadata[i] is HybridResponseCachePolicy or CacheHybridResponseAttribute)
            {
                return metadata[i];
            }
        }

        return null;
    }

    // Throws when the metadata names a policy that is not registered, or sets an invalid value.
    public static HybridResponseCachePolicy Settings(object metadata, IReadOnlyDictionary<string, HybridResponseCachePolicy> policies, Endpoint endpoint)
    {
        if (metadata is HybridResponseCachePolicy policy)
        {
            return policy;
        }

        var attribute = (CacheHybridResponseAttribute)metadata;
        HybridResponseCachePolicy? named = null;
        if (attribute.PolicyName is { } name && !policies.TryGetValue(name, out named))
        {
            throw new InvalidOperationException(
                $"Endpoint '{endpoint.DisplayName}' asks for the hybrid response-caching policy '{name}', which is not registered: "
                + "add it with HybridResponseCachingOptions.AddPolicy (e.g. services.AddHybridResponseCaching(o => o.AddPolicy(...))).");
        }

        var settings = (named ?? new HybridResponseCachePolicy()).With(attribute);
        settings.Validate($"[CacheHybridResponse] on endpoint '{endpoint.DisplayName}'");
        return settings;
    }

    // The request's endpoint's policy, else the middleware's defaults, or null (pass through) in EndpointsOnly mode.
    public EndpointPolicy? Resolve(HttpContext context)
    {
        var endpoint = context.GetEndpoint();
        if (FindMetadata(endpoint) is not { } metadata)
        {
            return _endpointsOnly ? null : _default;
        }

        return _resolved.TryGetValue(metadata, out var resolved)
            ? resolved
            : _resolved.GetOrAdd(metadata, Build(metadata, endpoint!));
    }

    // Whether the policy is the default although the request's endpoint, chosen after the middleware ran (it was
    // placed before routing), carries a policy of its own.
    public bool MissedEndpointPolicy(EndpointPolicy policy, HttpContext context)
        => ReferenceEquals(policy, _default) && FindMetadata(context.GetEndpoint()) is not null;

    // A policy that sets its own waitFor gets a cache function for it (unless the options' own is built for it).
    private EndpointPolicy Build(object metadata, Endpoint endpoint)
    {
        var settings = Settings(metadata, options.Policies, endpoint);
        var func = settings.WaitFor is { } wait && (options.CacheFunc is not null || wait != options.WaitFor)
            ? _funcs.GetOrAdd(wait, NewFunc, (options, time, logger))
            : _default.Func;
        return new EndpointPolicy(func, settings);
    }

    private static CacheFunc NewFunc(TimeSpan waitFor, (HybridResponseCachingOptions Options, TimeProvider Time, ILogger Logger) state)
    {
        var cache = state.Options.Cache ?? throw new InvalidOperationException(
            "A hybrid response-caching policy that sets WaitFor needs HybridResponseCachingOptions.Cache: its own CacheFunc runs on that adapter.");
        return new CacheFunc(cache, new CacheFuncOptions
        {
            WaitFor = waitFor,
            FreshFor = state.Options.FreshFor,
            Ttl = state.Options.Ttl,
            TimeProvider = state.Time,
            Logger = state.Logger,
            MaximumKeyLength = HttpResponsePolicy.MaximumKeyLength,
            MaximumPayloadBytes = HttpResponsePolicy.MaximumPayloadBytes,
        });
    }
}
