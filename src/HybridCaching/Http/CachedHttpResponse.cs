using System.Diagnostics;
using System.Globalization;

namespace HybridCaching.Http;

/// <summary>
/// An HTTP response as the cache holds it: status code, end-to-end headers (every value kept separately) and body, in
/// the payload envelope a Go service using <c>cshum/hybridcache</c> reads and writes too.
/// </summary>
/// <remarks>
/// Headers meaningful on one connection or delivery are dropped on construction, never stored nor replayed: the
/// hop-by-hop headers of RFC 9110 (<c>Connection</c>, <c>Keep-Alive</c>, <c>Proxy-Connection</c>,
/// <c>Proxy-Authenticate</c>, <c>Proxy-Authorization</c>, <c>TE</c>, <c>Trailer</c>, <c>Transfer-Encoding</c>,
/// <c>Upgrade</c>, any header <c>Connection</c> names), <c>Age</c> and <see cref="HttpCacheStatus.HeaderName"/>.
/// </remarks>
[DebuggerDisplay("{StatusCode} ({Body.Length} bytes), {Headers.Count} headers")]
public sealed class CachedHttpResponse
{
    private const string BypassHeader = "X-Hybridcache-Bypass";

    private static readonly object NoDate = new();

    private readonly Dictionary<string, string[]> _headers;

    // The parsed Date header (boxed, so racing readers see null or a complete value) or NoDate, from the first GetAge.
    private object? _date;

    /// <summary>Creates a cached response.</summary>
    /// <param name="statusCode">The status code, 100 to 999.</param>
    /// <param name="headers">The response and content headers; names are compared case-insensitively, names that
    /// differ only in case are merged, and hop-by-hop and per-delivery headers are dropped (see remarks).</param>
    /// <param name="body">The body; kept by reference, not copied.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="statusCode"/> is not a three-digit code.</exception>
    public CachedHttpResponse(int statusCode, IEnumerable<KeyValuePair<string, string[]>>? headers, ReadOnlyMemory<byte> body)
        : this(statusCode, headers, body, default)
    {
    }

    internal CachedHttpResponse(int statusCode, IEnumerable<KeyValuePair<string, string[]>>? headers, ReadOnlyMemory<byte> body, DateTimeOffset bestBefore)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(statusCode, 100);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(statusCode, 999);
        StatusCode = statusCode;
        Body = body;
        BestBefore = bestBefore;
        _headers = EndToEnd(headers);
        IsBypass = statusCode == 503 && _headers.ContainsKey(BypassHeader);
    }

    /// <summary>What a run shares with its waiters when its response must not be shared (see the safe defaults on
    /// <see cref="HttpCacheHandlerOptions"/>): never stored; each waiter receiving it sends its own request.</summary>
    /// <remarks>On the wire an empty 503 with <c>X-Hybridcache-Bypass: 1</c>, left under a Redis lock as a plain result
    /// (<c>{Res: payload}</c>); a Go middleware waiting on that lock does not know the marker and replays it as it is.</remarks>
    public static CachedHttpResponse Bypass { get; } = new(503, [new(BypassHeader, ["1"])], ReadOnlyMemory<byte>.Empty);

    /// <summary>Gets the status code.</summary>
    public int StatusCode { get; }

    /// <summary>Gets the end-to-end headers (content headers included), each with all its values in order.</summary>
    /// <value>Keyed case-insensitively; the arrays must not be modified.</value>
    public IReadOnlyDictionary<string, string[]> Headers => _headers;

    /// <summary>Gets the body.</summary>
    public ReadOnlyMemory<byte> Body { get; }

    /// <summary>Gets the time after which the entry this response was read from is stale.</summary>
    /// <value><c>default</c> for a response not read from the cache, or written without one (as the Go original's
    /// results it does not store); labelled <see cref="HttpCacheStatus.Miss"/>.</value>
    public DateTimeOffset BestBefore { get; }

    /// <summary>Gets a value indicating whether this is <see cref="Bypass"/> (possibly read back from the wire).</summary>
    public bool IsBypass { get; }

    /// <summary>Gets the response's age: how long ago the origin produced it, from its <c>Date</c> header.</summary>
    /// <param name="now">The current time.</param>
    /// <returns>Whole seconds, never negative; <see langword="null"/> when there is no readable <c>Date</c> header.</returns>
    public TimeSpan? GetAge(DateTimeOffset now)
    {
        return (_date ??= ParseDate(_headers)) is DateTimeOffset date
            ? TimeSpan.FromSeconds(Math.Max(0, Math.Floor((now - date).TotalSeconds)))
            : null;
    }

    private static object ParseDate(Dictionary<string, string[]> headers)
        => headers.TryGetValue("Date", out string[]? values) && values.Length > 0
            && DateTimeOffset.TryParseExact(values[0], "r", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out DateTimeOffset date)
            ? date
            : NoDate;

    private static Dictionary<string, string[]> EndToEnd(IEnumerable<KeyValuePair<string, string[]>>? headers)
    {
        var result = new Dictionary<string, string[]>(StringComparer.OrdinalIgnoreCase);
        List<string>? namedByConnection = null;
        foreach (var (name, values) in headers ?? [])
        {
            if (string.Equals(name, "Connection", StringComparison.OrdinalIgnoreCase) && values is not null)
            {
                (namedByConnection ??= []).AddRange(HttpResponsePolicy.Members(values));
            }

            if (!string.IsNullOrEmpty(name) && !HttpResponsePolicy.IsPerDeliveryHeader(name))
            {
                string[] copy = values is null ? [] : Array.ConvertAll(values, static v => v ?? string.Empty);
                result[name] = result.TryGetValue(name, out string[]? existing) ? [.. existing, .. copy] : copy;
            }
        }

        foreach (string name in namedByConnection ?? [])
        {
            result.Remove(name);
        }

        return result;
    }
}
