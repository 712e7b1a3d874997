namespace HybridCaching.Http;

/// <summary>
/// Stores a <see cref="CachedHttpResponse"/> in the payload envelope the way the Go original stores HTTP
/// responses: the body in <c>Value</c>, the headers in <c>Header</c>, the status in <c>StatusCode</c>.
/// </summary>
/// <remarks>
/// <para>An envelope without a valid status code (e.g. a plain <see cref="CacheFunc"/> value under the same key) is
/// not a response: <see cref="TryRead"/> refuses it and the entry is a cache miss.</para>
/// <para>So is a response the safe defaults never share — one with <c>Set-Cookie</c>, <c>Vary</c> (beyond the
/// headers the key varies by),
/// <c>Cache-Control: no-store</c>, <c>private</c> or <c>no-cache</c>, or status 206 or 304 — whoever wrote it: the
/// Go original stores such responses, and a .NET reader must not hand one user's cookie to another. The request
/// that reads it (a hit, a stale hit, a HEAD lookup, or a request waiting on another server's run) goes to the
/// origin instead. <see cref="VaryAllowed"/> reads responses with a <c>Vary</c> naming request headers, for the
/// middleware, which checks the request's values itself (<c>Vary: *</c> is refused by both).</para>
/// </remarks>
internal sealed class CachedHttpResponseFormat : ICachePayloadFormat<CachedHttpResponse>
{
    private readonly Func<string, bool>? _varyCovers;

    /// <summary>Creates a format that also reads responses whose <c>Vary</c> names only headers <paramref name="varyCovers"/> covers.</summary>
    /// <param name="varyCovers">The request headers a stored <c>Vary</c> may name (those the cache key varies by), or null.</param>
    public CachedHttpResponseFormat(Func<string, bool>? varyCovers) => _varyCovers = varyCovers;

    /// <summary>Gets the format for keys that vary by no request header: it refuses every response with <c>Vary</c>.</summary>
    public static CachedHttpResponseFormat Instance { get; } = new(null);

    /// <summary>Gets the format that reads responses with a <c>Vary</c> naming request headers (not <c>*</c>): for a
    /// reader that checks the request's values itself before serving one.</summary>
    public static CachedHttpResponseFormat VaryAllowed { get; } = new(HttpResponsePolicy.AnyRequestHeader);

    /// <inheritdoc/>
    /// <remarks>A response read by this format may serve every later memory hit of its entry: the check against the
    /// safe defaults depends only on the stored bytes and on this format, and <see cref="CachedHttpResponse"/> is
    /// not modified by its readers (its header arrays included).</remarks>
    public object? ReuseIdentity => this;

    /// <inheritdoc/>
    public void Reused(CachedHttpResponse value)
    {
    }

    /// <inheritdoc/>
    public byte[] Write(CachedHttpResponse value, DateTimeOffset bestBefore)
    {
        ArgumentNullException.ThrowIfNull(value);
        return CachePayload.Write(
            bestBefore,
            value.Body.Span,
            value.Headers.Select(static h => new KeyValuePair<string, IEnumerable<string>>(h.Key, h.Value)),
            value.StatusCode);
    }

    /// <inheritdoc/>
    public bool TryRead(scoped in CachePayload payload, out CachedHttpResponse value)
    {
        if (payload.StatusCode is < 100 or > 999)
        {
            value = null!;
            return false;
        }

        // The body is a slice of the stored envelope, which nothing modifies once written: no copy per hit.
        value = new CachedHttpResponse(payload.StatusCode, payload.ReadHeader(), payload.ValueMemory, payload.BestBefore);
        if (!HttpResponsePolicy.IsShareable(value, _varyCovers))
        {
            value = null!;
            return false;
        }

        return true;
    }
}
