using Microsoft.Extensions.Caching.Memory;
using RuntimeMemoryCache = Microsoft.Extensions.Caching.Memory.MemoryCache;

namespace HybridCaching.AspNetCore;

/// <summary>Where a response is stored as one of several per request-header values: the key they share (without the
/// header values) and this one's values.</summary>
/// <param name="BaseKey">The key without its header values.</param>
/// <param name="Id">The header values (a policy's <c>h:</c> section, a response's <c>Vary</c> marker).</param>
internal readonly record struct HeaderVariant(string BaseKey, string Id);

/// <summary>
/// Bounds the header variants this process stores per base key (<see cref="HybridResponseCachingOptions.MaximumVariants"/>):
/// it remembers which variants it stored and until when they live, and refuses a new one while the maximum are alive.
/// </summary>
/// <remarks>Per process, not in the shared cache: a Redis set per base key would count exactly across servers, but
/// costs a round trip per variant miss and exists only over Redis; counting here needs neither, and the shared cache
/// still holds at most servers × maximum live variants per key. The record itself is bounded: at most
/// <see cref="TrackedKeys"/> base keys (the least recently used dropped first); a key dropped from it may be given up
/// to the maximum again. Variants are told apart by a (per-process randomized) hash of their values: a collision, rare
/// and not steerable by a client, only lets one more variant in.</remarks>
internal sealed class VariantLimit
{
    /// <summary>How many base keys are tracked at most.</summary>
    public const int TrackedKeys = 10_000;

    private readonly TimeProvider _time;
    private readonly RuntimeMemoryCache _keys = new(new MemoryCacheOptions { SizeLimit = TrackedKeys });
    private readonly object _gate = new();

    public VariantLimit(int maximum, TimeProvider time)
    {
        Maximum = maximum;
        _time = time;
    }

    /// <summary>The most live variants per base key.</summary>
    public int Maximum { get; }

    /// <summary>Whether <paramref name="variant"/> may be stored for <paramref name="ttl"/>: it is one of the live
    /// variants of its base key already (its lifetime is then renewed), or fewer than the maximum are alive.</summary>
    public bool TryAdmit(HeaderVariant variant, TimeSpan ttl)
    {
        var now = _time.GetUtcNow();
        var until = ttl < DateTimeOffset.MaxValue - now ? now + ttl : DateTimeOffset.MaxValue;
        int id = variant.Id.GetHashCode(StringComparison.Ordinal);
        lock (_gate)
        {
            if (!_keys.TryGetValue(variant.BaseKey, out Dictionary<int, DateTimeOffset>? live) || live is null)
            {
                live = [];
                using var entry = _keys.CreateEntry(variant.BaseKey);
                entry.Value = live;
                entry.Size = 1;
            }

            if (!live.ContainsKey(id) && live.Count >= Maximum)
            {
                foreach (var (stored, expires) in live)
                {
                    if (expires <= now)
                    {
                        live.Remove(stored);
                    }
                }

                if (live.Count >= Maximum)
                {
                    return false;
                }
            }

            live[id] = until;
            return true;
        }
    }
}
