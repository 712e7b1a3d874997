using System.Diagnostics.CodeAnalysis;

namespace HybridCaching;

// Argument checks shared by every adapter, so all of them reject bad input alike.
internal static class CacheArgument
{
    public static void ThrowIfInvalidKey([NotNull] string? key, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(key))] string? paramName = null)
        => ArgumentException.ThrowIfNullOrEmpty(key, paramName);

    // Returns the keys materialized once.
    public static IReadOnlyList<string> ThrowIfInvalidKeys([NotNull] IEnumerable<string>? keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var list = keys as IReadOnlyList<string> ?? keys.ToList();
        for (var i = 0; i < list.Count; i++)
        {
            if (string.IsNullOrEmpty(list[i]))
            {
                throw new ArgumentException($"Key at index {i} is null or empty.", nameof(keys));
            }
        }

        return list;
    }

    // A write's (or a renewal's) arguments: the key, the bytes and a positive ttl.
    public static void ThrowIfInvalidWrite([NotNull] string? key, [NotNull] byte[]? value, TimeSpan ttl, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(value))] string? valueName = null)
    {
        ThrowIfInvalidKey(key);
        ArgumentNullException.ThrowIfNull(value, valueName);
        ThrowIfNotPositive(ttl);
    }

    public static void ThrowIfInvalidRace([NotNull] string? key, [NotNull] Delegate? fn, TimeSpan waitFor, TimeSpan ttl)
    {
        ThrowIfInvalidKey(key);
        ArgumentNullException.ThrowIfNull(fn);
        ThrowIfNotPositive(waitFor);
        ThrowIfNotPositive(ttl);
    }

    public static void ThrowIfNotPositive(TimeSpan value, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(value))] string? paramName = null)
    {
        if (value <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(paramName, value, $"{paramName} must be a positive duration.");
        }
    }
}
