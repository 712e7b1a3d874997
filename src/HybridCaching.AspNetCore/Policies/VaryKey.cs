using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Primitives;

namespace HybridCaching.AspNetCore;

/// <summary>
/// Encodes named request values (query parameters, headers, route values) for a cache key: names lower-cased and
/// sorted (so their order in the request or the policy does not matter), names and values percent-encoded (so no value
/// can forge a separator and look like another set of values), a missing value written apart from an empty one.
/// </summary>
/// <remarks>A section reads <c>q:a=1&amp;b=x%26c,y</c>: the prefix, then <c>name=value</c> pairs joined by
/// <c>&amp;</c>, several values of one name joined by <c>,</c>, a missing name written bare. A space separates sections
/// from the key they are added to (an encoded URL has none). A name's values longer than
/// <see cref="MaxValuesLength"/> once encoded are written as <c>#</c> and the digest of their encoded form (no
/// encoded value contains <c>#</c>), so a request cannot make a key name long.</remarks>
internal static class VaryKey
{
    /// <summary>The longest encoded values of one name written as they are.</summary>
    public const int MaxValuesLength = 128;

    /// <summary>The SHA-256 digest of <paramref name="text"/>'s UTF-8 bytes, in unpadded base64url (43 characters).</summary>
    public static string Digest(string text)
        => Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(text))).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>The distinct names, lower-cased and sorted: the order used in keys.</summary>
    public static string[] Normalize(IEnumerable<string> names)
        => names.Select(static n => n.Trim().ToLowerInvariant()).Where(static n => n.Length > 0).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();

    /// <summary>Appends a section for <paramref name="names"/> (normalized), their values read by <paramref name="values"/>.</summary>
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
