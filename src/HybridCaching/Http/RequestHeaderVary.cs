using System.Globalization;
using System.Text;

namespace HybridCaching.Http;

// The request headers an HttpCacheHandler's cache key varies by (VaryByRequestHeaders): each variant gets its own key,
// so a response whose Vary names only these headers can be stored and is never served to another variant. The key is
// the request key, a line break, then for each header in a fixed order (lower-cased, sorted): its name, then - when the
// request lacks it, or its number of values and each value prefixed by its length, so values never run into each other
// and two different requests never produce the same key (the default request key, an escaped URL, has no line break).
internal sealed class RequestHeaderVary(string[] sortedNames)
{
    public IReadOnlySet<string> Names { get; } = new HashSet<string>(sortedNames, StringComparer.OrdinalIgnoreCase);

    // Null when no header is configured (keys stay as they are, shared with Go services).
    public static RequestHeaderVary? Create(IEnumerable<string> names)
    {
        string[] sorted = [.. names.Select(static n => n.Trim().ToLowerInvariant()).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
        return sorted.Length == 0 ? null : new RequestHeaderVary(sorted);
    }

    public string Key(string requestKey, HttpRequestMessage request)
    {
        var key = new StringBuilder(requestKey).Append('\n');
        var headers = request.Headers.NonValidated;
        foreach (string name in sortedNames)
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
