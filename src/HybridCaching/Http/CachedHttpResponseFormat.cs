namespace HybridCaching.Http;

// Stores a CachedHttpResponse in the payload envelope the way the Go original stores HTTP responses: the body in Value,
// the headers in Header, the status in StatusCode. An envelope without a valid status code (e.g. a plain CacheFunc
// value under the same key) is not a response: TryRead refuses it and the entry is a miss. So is a response the safe
// defaults (HttpResponsePolicy) never share, whoever wrote it: the Go original stores such responses, and a .NET reader
// must not hand one user's cookie to another.
internal sealed class CachedHttpResponseFormat(Func<string, bool>? varyCovers) : ICachePayloadFormat<CachedHttpResponse>
{
    // For keys that vary by no request header: refuses every response with Vary.
    public static CachedHttpResponseFormat Instance { get; } = new(null);

    // Reads responses whose Vary names request headers (not *): for the middleware, which checks the request's values itself.
    public static CachedHttpResponseFormat VaryAllowed { get; } = new(HttpResponsePolicy.AnyRequestHeader);

    // A decoded response may serve every later memory hit of its entry: the safe-default check depends only on the
    // stored bytes and this format, and CachedHttpResponse is not modified by its readers.
    public object? ReuseIdentity => this;

    public byte[] Write(CachedHttpResponse value, DateTimeOffset bestBefore)
    {
        ArgumentNullException.ThrowIfNull(value);
        var headers = value.Headers.Select(static h => new KeyValuePair<string, IEnumerable<string>>(h.Key, h.Value));
        return CachePayload.Write(bestBefore, value.Body.Span, headers, value.StatusCode);
    }

    public bool TryRead(scoped in CachePayload payload, out CachedHttpResponse value)
    {
        // The body is a slice of the stored envelope, which nothing modifies once written: no copy per hit.
        var read = payload.StatusCode is >= 100 and <= 999
            ? new CachedHttpResponse(payload.StatusCode, payload.ReadHeader(), payload.ValueMemory, payload.BestBefore)
            : null;
        value = read is not null && HttpResponsePolicy.IsShareable(read, varyCovers) ? read : null!;
        return value is not null;
    }

    // The safe defaults apply to what the caller's own request produced as to any stored response.
    public bool TryReadProduced(CachedHttpResponse produced, scoped in CachePayload payload, out CachedHttpResponse value) => TryRead(payload, out value);

    // An entry read straight from the cache (a HEAD lookup) as a response to serve, or null.
    public CachedHttpResponse? ReadStored(byte[]? stored)
        => stored is not null && CachePayload.TryRead(stored, out var payload) && TryRead(payload, out var cached) && !cached.IsBypass
            ? cached
            : null;
}
