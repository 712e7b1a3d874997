using System.Globalization;

namespace HybridCaching;

// A key as log lines print it: cut to MaximumLength characters, with the count of those left out (a 10 MB key must not
// be printed in every warning).
internal static class LoggedKey
{
    public const int MaximumLength = 128;

    public static string Of(string key)
        => key.Length <= MaximumLength
            ? key
            : string.Concat(key.AsSpan(0, MaximumLength), "…(", (key.Length - MaximumLength).ToString(CultureInfo.InvariantCulture), " more)");
}
