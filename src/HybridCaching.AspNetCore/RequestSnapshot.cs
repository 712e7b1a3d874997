using HybridCaching.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace HybridCaching.AspNetCore;

// What a background refresh needs from the request that found a stale entry, copied while that request was still
// running: its request line (as a GET), headers, and the endpoint routing chose for it (the refresh runs the pipeline
// after this middleware, which may come after routing).
internal sealed class RequestSnapshot
{
    private readonly HttpRequestFeature _request;
    private readonly Endpoint? _endpoint;
    private readonly RouteValueDictionary? _routeValues;

    private RequestSnapshot(HttpContext context)
    {
        var request = context.Request;
        var headers = new Dictionary<string, StringValues>(request.Headers.Count, StringComparer.OrdinalIgnoreCase);
        foreach (var (name, values) in request.Headers)
        {
            // Validators are never recorded: the refresh makes the full response.
            if (!HttpResponsePolicy.IsPerDeliveryHeader(name)
                && !string.Equals(name, HeaderNames.IfNoneMatch, StringComparison.OrdinalIgnoreCase)
                && !string.Equals(name, HeaderNames.IfModifiedSince, StringComparison.OrdinalIgnoreCase)
                && !string.Equals(name, HeaderNames.ContentLength, StringComparison.OrdinalIgnoreCase))
            {
                headers[name] = values;
            }
        }

        _request = new HttpRequestFeature
        {
            Protocol = request.Protocol,
            Scheme = request.Scheme,
            PathBase = request.PathBase.Value ?? string.Empty,
            Path = request.Path.Value ?? string.Empty,
            QueryString = request.QueryString.Value ?? string.Empty,
            RawTarget = (request.PathBase + request.Path).ToUriComponent() + request.QueryString.ToUriComponent(),
            Headers = new HeaderDictionary(headers),
        };
        _endpoint = context.GetEndpoint();
        _routeValues = request.RouteValues.Count > 0 ? new RouteValueDictionary(request.RouteValues) : null;
    }

    // For log messages.
    public string Path => _request.PathBase + _request.Path;

    // Records a GET request (a HEAD request's endpoint would not answer a GET: nothing is recorded).
    public static RequestSnapshot? Capture(HttpContext context)
        => HttpMethods.IsGet(context.Request.Method) ? new RequestSnapshot(context) : null;

    // A fresh context repeating the request, routed as it was.
    public HttpContext CreateContext(BufferedResponse response, IServiceProvider services, IHttpContextFactory? factory, CancellationToken aborted)
    {
        // Each refresh gets its own request (the app's pipeline may change it), copied from the one captured.
        var features = new FeatureCollection();
        features.Set<IHttpRequestFeature>(new HttpRequestFeature
        {
            Protocol = _request.Protocol,
            Scheme = _request.Scheme,
            Method = HttpMethods.Get,
            PathBase = _request.PathBase,
            Path = _request.Path,
            QueryString = _request.QueryString,
            RawTarget = _request.RawTarget,
            Headers = new HeaderDictionary(new Dictionary<string, StringValues>(_request.Headers, StringComparer.OrdinalIgnoreCase)),
            Body = Stream.Null,
        });
        features.Set<IHttpResponseFeature>(response);
        features.Set<IHttpResponseBodyFeature>(response);
        features.Set<IHttpRequestLifetimeFeature>(new HttpRequestLifetimeFeature { RequestAborted = aborted });
        features.Set<IServiceProvidersFeature>(new ServiceProvidersFeature { RequestServices = services });
        var context = factory?.Create(features) ?? new DefaultHttpContext(features);
        if (_endpoint is not null)
        {
            context.SetEndpoint(_endpoint);
        }

        if (_routeValues is not null)
        {
            context.Request.RouteValues = new RouteValueDictionary(_routeValues);
        }

        return context;
    }
}
