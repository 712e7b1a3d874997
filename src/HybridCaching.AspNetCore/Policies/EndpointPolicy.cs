using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Extensions;
using Microsoft.Extensions.Primitives;

namespace HybridCaching.AspNetCore;

// A policy as the middleware applies it: the cache function for its waitFor, its key, durations and tags.
internal sealed class EndpointPolicy(CacheFunc func, HybridResponseCachePolicy settings)
{
    private readonly TimeSpan? _freshFor = settings.FreshFor;
    private readonly TimeSpan? _ttl = settings.Ttl;
    private readonly string[] _query = VaryKey.Normalize(settings.VaryByQuery);
    private readonly string[] _headers = VaryKey.Normalize(settings.VaryByHeader);
    private readonly string[] _routeValues = VaryKey.Normalize(settings.VaryByRouteValue);
    private readonly string[] _tags = settings.Tags.Distinct(StringComparer.Ordinal).ToArray();
    private readonly Func<HttpContext, IEnumerable<string>>? _tagsFrom = settings.TagsFrom;

    public CacheFunc Func { get; } = func;

    // The request's key with the varied values added (for the default key with query parameters to vary by, without
    // the rest of the query string); with headers to vary by, variant is the key without their values, and the values.
    public string Key(HttpContext context, Func<HttpContext, string> requestKey, bool isDefaultKey, out HeaderVariant? variant)
    {
        variant = null;
        if (_query.Length == 0 && _headers.Length == 0 && _routeValues.Length == 0)
        {
            return requestKey(context);
        }

        var request = context.Request;
        string baseKey = _query.Length > 0 && isDefaultKey
            ? UriHelper.BuildAbsolute(request.Scheme, request.Host, request.PathBase, request.Path)
            : requestKey(context);
        if (string.IsNullOrEmpty(baseKey))
        {
            return baseKey;
        }

        var key = new StringBuilder(baseKey);
        VaryKey.Append(key, 'q', _query, request.Query, static (query, name) => query[name]);
        int headersStart = key.Length;
        VaryKey.Append(key, 'h', _headers, request.Headers, static (headers, name) => headers[name]);
        int headersLength = key.Length - headersStart;
        VaryKey.Append(key, 'r', _routeValues, request.RouteValues, static (values, name)
            => values.TryGetValue(name, out object? value) && value is not null ? Convert.ToString(value, CultureInfo.InvariantCulture) : StringValues.Empty);
        string result = key.ToString();
        if (headersLength > 0)
        {
            variant = new HeaderVariant(result.Remove(headersStart, headersLength), result.Substring(headersStart, headersLength));
        }

        return result;
    }

    public void Apply(CacheFuncContext cacheContext, HttpContext context)
    {
        cacheContext.FreshFor = _freshFor ?? cacheContext.FreshFor;
        cacheContext.Ttl = _ttl ?? cacheContext.Ttl;
        var tags = _tagsFrom is null
            ? _tags
            : _tags.Concat(_tagsFrom(context) ?? []).Where(static tag => !string.IsNullOrEmpty(tag)).Distinct(StringComparer.Ordinal).ToArray();
        cacheContext.Tags = tags.Length > 0 ? tags : null;
    }
}
