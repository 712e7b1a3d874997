using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Primitives;

namespace HybridCaching.AspNetCore;

// Encodes named request values (query parameters, headers, route values) for a cache key: names lower-cased and sorted
// (their order in the request or the policy does not matter), names and values percent-encoded (no value can forge a
// separator), a missing value written apart from an empty one. A section reads `q:a=1&b=x%26c,y`: the prefix, then
// name=value pairs joined by &, several values of one name joined by `,`, a missing name bare; a space separates it from
// the key (an encoded URL has none). A name's values longer than MaxValuesLength once encoded are written as # and the
// digest of their encoded form (no encoded value contains #), so a request cannot make a key name long.
internal static class VaryKey
{
    public const int MaxValuesLength = 128;

    // The SHA-256 digest of text's UTF-8 bytes, in unpadded base64url (43 characters).
    public static string Digest(string text)
        => Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(text))).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    // The distinct names, lower-cased and sorted: the order used in keys.
    public static string[] Normalize(IEnumerable<string> names)
        => names.Select(static n => n.Trim().ToLowerInvariant()).Where(static n => n.Length > 0).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();

    // Appends a section for names (normalized), their values read by `values`.
    public static void Append<TState>(StringBuilder key, char prefix, string[] names, TState state, Func<TState, string, StringValues> values)
    {
        if (names.Length == 0)
        {
            return;
        }

        key.Append(' ').Append(prefix).Append(':');
        for (int i = 0; i < names.Length; i++)
        {
            if (i > 0)
            {
                key.Append('&');
            }

            key.Append(Uri.EscapeDataString(names[i]));
            var found = values(state, names[i]);
            if (found.Count == 0)
            {
                continue;
            }

            key.Append('=');
            int start = key.Length;
            for (int j = 0; j < found.Count; j++)
            {
                if (j > 0)
                {
                    key.Append(',');
                }

                key.Append(Uri.EscapeDataString(found[j] ?? string.Empty));
            }

            if (key.Length - start > MaxValuesLength)
            {
                string encoded = key.ToString(start, key.Length - start);
                key.Length = start;
                key.Append('#').Append(Digest(encoded));
            }
        }
    }
}
