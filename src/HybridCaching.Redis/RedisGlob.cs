using System.Text;

namespace HybridCaching.Redis;

/// <summary>Redis glob patterns (<c>SCAN … MATCH</c>).</summary>
internal static class RedisGlob
{
    /// <summary>Escapes the glob characters of <paramref name="text"/> so that it matches only itself.</summary>
    public static string Escape(string text)
    {
        if (text.AsSpan().IndexOfAny("*?[]\\") < 0)
        {
            return text;
        }

        var builder = new StringBuilder(text.Length + 8);
        foreach (var c in text)
        {
            if (c is '*' or '?' or '[' or ']' or '\\')
            {
                builder.Append('\\');
            }

            builder.Append(c);
        }

        return builder.ToString();
    }
}
