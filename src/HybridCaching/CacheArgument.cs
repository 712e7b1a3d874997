using System.Diagnostics.CodeAnalysis;

namespace HybridCaching;

/// <summary>Argument checks shared by every adapter, so all of them reject bad input alike.</summary>
internal static class CacheArgument
{
    /// <summary>Throws when <paramref name="key"/> is null or empty.</summary>
    /// <param name="key">The key to check.</param>
    /// <param name="paramName">The parameter name reported in the exception.</param>
    /// <exception cref="ArgumentNullException"><paramref name="key"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="key"/> is empty.</exception>
    public static void ThrowIfInvalidKey([NotNull] string? key, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(key))] string? paramName = null)
        => ArgumentException.ThrowIfNullOrEmpty(key, paramName);

    /// <summary>Throws when <paramref name="keys"/> is null or holds a null or empty key, and returns them as a list.</summary>
    /// <param name="keys">The keys to check.</param>
    /// <returns>The keys, materialized once.</returns>
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

    /// <summary>The checks every <see cref="ICacheRace.RaceAsync"/> makes on its arguments.</summary>
    /// <param name="key">The key; not null or empty.</param>
    /// <param name="fn">The work; not null.</param>
    /// <param name="waitFor">Positive.</param>
    /// <param name="ttl">Positive.</param>
    public static void ThrowIfInvalidRace([NotNull] string? key, [NotNull] Delegate? fn, TimeSpan waitFor, TimeSpan ttl)
    {
        ThrowIfInvalidKey(key);
        ArgumentNullException.ThrowIfNull(fn);
        ThrowIfNotPositive(waitFor);
        ThrowIfNotPositive(ttl);
    }

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> when <paramref name="value"/> is not positive.</summary>
    /// <param name="value">The duration to check.</param>
    /// <param name="paramName">The parameter name reported in the exception.</param>
    public static void ThrowIfNotPositive(TimeSpan value, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(value))] string? paramName = null)
    {
        if (value <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(paramName, value, $"{paramName} must be a positive duration.");
        }
    }
}
