using Microsoft.Extensions.Caching.Memory;
using RuntimeMemoryCache = Microsoft.Extensions.Caching.Memory.MemoryCache;

namespace HybridCaching.AspNetCore;

// Where a response is stored as one of several per request-header values: the key without the header values, and the
// values (a policy's h: section, a response's Vary marker).
internal readonly record struct HeaderVariant(string BaseKey, string Id);

// Bounds the header variants this process stores per base key (MaximumVariants): it remembers which variants it stored
// and until when they live, and refuses a new one while the maximum are alive. Per process, not in the shared cache (a
// Redis set would count exactly across servers but costs a round trip per variant miss and needs Redis); the shared
// cache still holds at most servers × maximum live variants per key. At most TrackedKeys base keys are tracked (least
// recently used dropped first; a dropped key may be given the maximum again). Variants are told apart by a per-process
// randomized hash of their values: a rare collision, not steerable by a client, only lets one more variant in.
internal sealed class VariantLimit(int maximum, TimeProvider time)
{
    public const int TrackedKeys = 10_000;

    private readonly RuntimeMemoryCache _keys = new(new MemoryCacheOptions { SizeLimit = TrackedKeys });
    private readonly object _gate = new();

    public int Maximum { get; } = maximum;

    // Whether the variant may be stored for ttl: it is one of its base key's live variants already (its lifetime is then
    // renewed), or fewer than the maximum are alive.
    public bool TryAdmit(HeaderVariant variant, TimeSpan ttl)
    {
        var now = time.GetUtcNow();
        var until = ttl < DateTimeOffset.MaxValue - now ? now + ttl : DateTimeOffset.MaxValue;
        int id = variant.Id.GetHashCode(StringComparison.Ordinal);
        lock (_gate)
        {
            var live = _keys.GetOrCreate(variant.BaseKey, static entry =>
            {
                entry.Size = 1;
                return new Dictionary<int, DateTimeOffset>();
            })!;

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
