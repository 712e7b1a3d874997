using System.Text;

namespace HybridCaching.Testing;

/// <summary>HTTP responses as the Go original's middleware writes them: a payload envelope with the body, headers and
/// status code. It stores every response, whatever its headers, and leaves those it does not store under its lock
/// without a best-before time.</summary>
public static class GoHttpEntries
{
    /// <summary>Response headers the .NET side never serves from the cache, with a value.</summary>
    public static TheoryData<string, string> UnshareableHeaders => new()
    {
        { "Set-Cookie", "sid=go" },
        { "Cache-Control", "private" },
        { "Cache-Control", "no-store" },
    };

    /// <summary><see cref="UnshareableHeaders"/>, each for an entry that is fresh and one that is stale.</summary>
    public static TheoryData<string, string, bool> UnshareableHeadersFreshAndStale
    {
        get
        {
            var data = new TheoryData<string, string, bool>();
            foreach (var row in UnshareableHeaders)
            {
                data.Add((string)row[0], (string)row[1], false);
                data.Add((string)row[0], (string)row[1], true);
            }

            return data;
        }
    }

    public static byte[] Payload(DateTimeOffset bestBefore, string body, int statusCode, params (string Name, string Value)[] headers)
        => CachePayload.Write(
            bestBefore,
            Encoding.UTF8.GetBytes(body),
            headers.Select(h => new KeyValuePair<string, IEnumerable<string>>(h.Name, [h.Value])),
            statusCode);

    /// <summary>A 200 text response "from go" carrying one more header.</summary>
    public static byte[] WithHeader(DateTimeOffset bestBefore, string header, string value)
        => Payload(bestBefore, "from go", 200, (header, value), ("Content-Type", "text/plain"));
}
