using HybridCaching.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace HybridCaching.AspNetCore;

// What a background refresh needs from the request that found a stale entry, copied while that request was still
// running: its request line, headers, and the endpoint routing chose for it (the refresh runs the pipeline after this
// middleware, which may come after routing).
internal sealed class RequestSnapshot
{
    private readonly string _protocol;
    private readonly string _scheme;
    private readonly PathString _pathBase;
    private readonly PathString _path;
    private readonly QueryString _query;
    private readonly Dictionary<string, StringValues> _headers;
    private readonly Endpoint? _endpoint;
    private readonly RouteValueDictionary? _routeValues;

    private RequestSnapshot(HttpContext context)
    {
        var request = context.Request;
        _protocol = request.Protocol;
        _scheme = request.Scheme;
        _pathBase = request.PathBase;
        _path = request.Path;
        _query = request.QueryString;
        _headers = new Dictionary<string, StringValues>(request.Headers.Count, StringComparer.OrdinalIgnoreCase);
        foreach (var (name, values) in request.Headers)
        {
            if (!CachedHttpResponse.IsPerDeliveryHeader(name)
                && !ConditionalRequests.IsValidator(name)
                && !string.Equals(name, HeaderNames.ContentLength, StringComparison.OrdinalIgnoreCase))
            {
                _headers[name] = values;
            }
        }

        _endpoint = context.GetEndpoint();
        _routeValues = request.RouteValues.Count > 0 ? new RouteValueDictionary(request.RouteValues) : null;
    }

    // For log messages.
    public string Path => (_pathBase + _path).Value ?? "/";

    // Records a GET request (a HEAD request's endpoint would not answer a GET: nothing is recorded).
    public static RequestSnapshot? Capture(HttpContext context)
        => HttpMethods.IsGet(context.Request.Method) ? new RequestSnapshot(context) : null;

    // The features of a fresh context repeating the request as a GET.
    public FeatureCollection CreateFeatures(BufferedResponse response, IServiceProvider requestServices, CancellationToken requestAborted)
    {
        var features = new FeatureCollection();
        features.Set<IHttpRequestFeature>(new HttpRequestFeature
        {
            Protocol = _protocol,
            Scheme = _scheme,
            Method = HttpMethods.Get,
            PathBase = _pathBase.Value ?? string.Empty,
            Path = _path.Value ?? string.Empty,
            QueryString = _query.Value ?? string.Empty,
            RawTarget = (_pathBase + _path).ToUriComponent() + _query.ToUriComponent(),
            Headers = new HeaderDictionary(new Dictionary<string, StringValues>(_headers, StringComparer.OrdinalIgnoreCase)),
            Body = Stream.Null,
        });
        features.Set<IHttpResponseFeature>(response);
        features.Set<IHttpResponseBodyFeature>(response);
        features.Set<IHttpRequestLifetimeFeature>(new HttpRequestLifetimeFeature { RequestAborted = requestAborted });
        features.Set<IServiceProvidersFeature>(new ServiceProvidersFeature { RequestServices = requestServices });
        return features;
    }

    public void ApplyRouting(HttpContext context)
    {
        if (_endpoint is not null)
        {
            context.SetEndpoint(_endpoint);
        }

        if (_routeValues is not null)
        {
            context.Request.RouteValues = new RouteValueDictionary(_routeValues);
        }
    }
}
