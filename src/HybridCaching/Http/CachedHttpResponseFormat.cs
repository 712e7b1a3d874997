namespace HybridCaching.Http;

// Stores a CachedHttpResponse as the Go original does (body in Value, headers in Header, status in StatusCode). An
// envelope without a valid status code (a plain CacheFunc value) is a miss, and so is a response the safe defaults never
// share, whoever wrote it: the Go original stores such responses, and one user's cookie must not reach another.
internal sealed class CachedHttpResponseFormat(Func<string, bool>? varyCovers) : ICachePayloadFormat<CachedHttpResponse>
{
    // For keys that vary by no request header: refuses every response with Vary.
    public static CachedHttpResponseFormat Instance { get; } = new(null);

    // Reads responses whose Vary names request headers (not *), for the middleware, which matches them itself.
    public static CachedHttpResponseFormat VaryAllowed { get; } = new(HttpResponsePolicy.AnyRequestHeader);

    // A decoded response may serve every later memory hit: the safe-default check depends only on the bytes and this
    // format, and readers never modify a CachedHttpResponse.
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

    // The response stored under key, fresh or stale, read without a cache function (a HEAD lookup), or null: no entry,
    // a tag removed after it was written, or no response to serve.
    public async ValueTask<CachedHttpResponse?> ReadStoredAsync(ICacheAdapter cache, string key, TimeProvider time, CancellationToken cancellationToken)
    {
        byte[]? stored = await cache.GetAsync(key, cancellationToken).ConfigureAwait(false);
        var invalidations = new TagInvalidations(cache, time);
        return stored is not null && CachePayload.TryRead(stored, out var payload)
            && invalidations.Check(payload) switch
            {
                TagInvalidations.State.Unknown => await invalidations.IsValidAsync(payload.ReadTags(), payload.Written, cancellationToken).ConfigureAwait(false),
                var known => known == TagInvalidations.State.Valid,
            }
            && TryRead(payload, out var cached) && !cached.IsBypass
                ? cached
                : null;
    }
}
