using System.ComponentModel;
using System.Reflection;
using System.Runtime.CompilerServices;

namespace HybridCaching;

/// <summary>A value decoded from a local entry, kept on that entry (<see cref="ILocalCacheEntries.KeepDecoded"/>)
/// so later fresh hits return it without decoding; it goes when the entry's bytes are replaced, removed or expire.</summary>
/// <param name="Value">The decoded value.</param>
/// <param name="BestBefore">The best-before time of the payload it came from.</param>
/// <param name="Identity">What decoded it (<see cref="ICachePayloadFormat{T}.ReuseIdentity"/>: the serializer, or the HTTP
/// response format): a caller decoding through another must decode the bytes itself.</param>
/// <param name="FreshUntilTick">With the system clock, <see cref="Environment.TickCount64"/> at best-before: a hit compares
/// it with the tick count (a couple of nanoseconds) instead of reading the wall clock; other clocks use <paramref name="BestBefore"/>.</param>
internal sealed record ReusedValue<T>(T Value, DateTimeOffset BestBefore, object Identity, long FreshUntilTick)
{
    private const long Overhead = 48;

    /// <summary>Creates the reused value of a payload decoded at <paramref name="now"/>.</summary>
    public static ReusedValue<T> Create(T value, DateTimeOffset bestBefore, object identity, DateTimeOffset now)
    {
        var freshFor = bestBefore - now;
        var tick = Environment.TickCount64;
        var freshUntil = freshFor <= TimeSpan.Zero ? tick
            : freshFor.TotalMilliseconds >= long.MaxValue - tick ? long.MaxValue
            : tick + (long)freshFor.TotalMilliseconds;
        return new ReusedValue<T>(value, bestBefore, identity, freshUntil);
    }

    /// <summary>What keeping the value costs against the memory level's byte bound: exact for strings and for value
    /// types without references; for anything else what its decode allocated (<paramref name="decodeAllocated"/>), an
    /// upper bound of what the value holds, since everything it holds that is new was allocated by the decode.</summary>
    public long EstimatedBytes(long decodeAllocated) => Value switch
    {
        string text => Overhead + (2L * text.Length),
        _ when !RuntimeHelpers.IsReferenceOrContainsReferences<T>() => Overhead + Unsafe.SizeOf<T>(),
        _ => Overhead + Unsafe.SizeOf<T>() + Math.Max(0, decodeAllocated),
    };
}

/// <summary>Whether values of <typeparamref name="T"/> cannot be modified, so one decoded instance can serve every caller.</summary>
internal static class ImmutableType<T>
{
    public static readonly bool Value = IsImmutable(Nullable.GetUnderlyingType(typeof(T)) ?? typeof(T));

    private static bool IsImmutable(Type type)
        => type.IsPrimitive
            || type.IsEnum
            || ((Type[])[typeof(string), typeof(decimal), typeof(DateTime), typeof(DateTimeOffset), typeof(TimeSpan), typeof(Guid),
                typeof(DateOnly), typeof(TimeOnly), typeof(Half), typeof(Int128), typeof(UInt128)]).Contains(type)
            || type.GetCustomAttribute<ImmutableObjectAttribute>(inherit: true)?.Immutable == true;
}
