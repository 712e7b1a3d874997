using System.Diagnostics.CodeAnalysis;

namespace HybridCaching;

/// <summary>The result of <see cref="CacheFunc.TryGetAsync{T}(string, CancellationToken)"/>: whether a readable value
/// was stored under the key, and that value (an async method cannot have an <c>out</c> parameter).</summary>
/// <typeparam name="T">The value type.</typeparam>
/// <param name="Found">Whether a value was found and decoded as <typeparamref name="T"/>.</param>
/// <param name="Value">The value when <paramref name="Found"/>; <c>default</c> otherwise.</param>
/// <param name="IsStale">Whether the value is past its best-before time (it is still returned; no refresh starts).</param>
public readonly record struct CacheGetResult<T>(bool Found, T? Value, bool IsStale)
{
    /// <summary>The result for a key with no readable value.</summary>
    public static CacheGetResult<T> NotFound => default;

    /// <summary>The BCL shape: returns <see cref="Found"/> and hands out the value.</summary>
    /// <param name="value">The value when found; <c>default</c> otherwise.</param>
    /// <returns>Whether a value was found.</returns>
    public bool TryGetValue([MaybeNullWhen(false)] out T value)
    {
        value = Value!;
        return Found;
    }
}
