using System.Text.RegularExpressions;

namespace HybridCaching.Redis;

// Escapes the glob characters of text (SCAN … MATCH, PSUBSCRIBE) so that it matches only itself.
internal static class RedisGlob
{
    public static string Escape(string text) => Regex.Replace(text, @"[*?\[\]\\]", @"\$0");
}
