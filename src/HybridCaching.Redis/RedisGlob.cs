using System.Text;

namespace HybridCaching.Redis;

// Escapes the glob characters of text (SCAN … MATCH, PSUBSCRIBE) so that it matches only itself.
internal static class RedisGlob
{
    public static string Escape(string text)
    {
        var builder = new StringBuilder(text.Length + 8);
        foreach (var c in text)
        {
            builder.Append(c is '*' or '?' or '[' or ']' or '\\' ? "\\" : string.Empty).Append(c);
        }

        return builder.ToString();
    }
}
