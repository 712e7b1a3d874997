using System.Globalization;
using System.Text;

namespace HybridCaching.Http;

/// <summary>
/// The request headers an <see cref="HttpCacheHandler"/>'s cache key varies by
/// (<see cref="HttpCacheHandlerOptions.VaryByRequestHeaders"/>): each variant gets its own key, so a response whose
/// <c>Vary</c> names only these headers can be stored and is never served to a request of another variant.
/// </summary>
/// <remarks>
/// The key is the request key, a line break, then for each configured header in a fixed order (names compared and
/// sorted case-insensitively, so the order of the option does not matter): its lower-case name, then <c>-</c> when
/// the request lacks it, or its number of values and each value prefixed by its length. Length prefixes keep
/// values from running into each other, so two different requests never produce the same key (the default request
/// key, an escaped URL, holds no line break).
/// </remarks>
internal sealed class RequestHeaderVary
{
    private readonly string[] _names;

    private RequestHeaderVary(string[] names)
    {
        _names = names;
        Names = new HashSet<string>(names, StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>Gets the configured header names.</summary>
    public IReadOnlySet<string> Names { get; }

    /// <summary>Builds the vary settings; <see langword="null"/> when no header is configured (keys stay as they are,
    /// shared with Go services).</summary>
    public static RequestHeaderVary? Create(IEnumerable<string> names)
    {
        string[] sorted = [.. names.Select(static n => n.Trim().ToLowerInvariant()).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
        return sorted.Length == 0 ? null : new RequestHeaderVary(sorted);
    }

    /// <summary>The key of <paramref name="request"/>'s variant.</summary>
    public string Key(string requestKey, HttpRequestMessage request)
    {
        var key = new StringBuilder(requestKey).Append('\n');
        var headers = request.Headers.NonValidated;
        foreach (string name in _names)
        {
            key.Append(name);
            if (!headers.TryGetValues(name, out var values))
            {
                key.Append(" -");
                continue;
            }

            key.Append(' ').Append(values.Count.ToString(CultureInfo.InvariantCulture));
            foreach (string value in values)
            {
                key.Append(' ').Append(value.Length.ToString(CultureInfo.InvariantCulture)).Append(':').Append(value);
            }

            key.Append(';');
        }

        return key.ToString();
    }
}
