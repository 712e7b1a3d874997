// net10.0 only: Microsoft's HybridCache abstraction is in Microsoft.Extensions.Caching.Abstractions since 9.0, and the
// net8.0 build stays on the 8.0.x line (see Directory.Packages.props).
#if NET10_0_OR_GREATER
using System.Diagnostics;
using Microsoft.Extensions.Caching.Hybrid;
using AbstractHybridCache = Microsoft.Extensions.Caching.Hybrid.HybridCache;

namespace HybridCaching.MicrosoftHybrid;

/// <summary>
/// Microsoft's <see cref="AbstractHybridCache"/> abstraction implemented by a <see cref="CacheFunc"/>: code written
/// against Microsoft's API gets this library's stampede protection (across servers over Redis), background refresh
/// of stale values and Go-compatible entries.
/// </summary>
/// <remarks>
/// <para>Entries are the <see cref="CacheFunc"/>'s: serialized with its <see cref="Serialization.ICacheSerializer"/>
/// (MessagePack by default) inside the Go-compatible envelope, so <c>DoAsync</c> callers, this class and Go services
/// read each other's entries. <c>IHybridCacheSerializer&lt;T&gt;</c> is not used: a per-type serializer would write
/// bytes the other readers of the same keys cannot read.</para>
/// <para><see cref="HybridCacheEntryOptions"/> map as follows.</para>
/// <list type="bullet">
/// <item><see cref="HybridCacheEntryOptions.Expiration"/> → the entry's TTL (<see cref="CacheEntryOptions.Ttl"/>);
/// freshness stays the <see cref="CacheFunc"/>'s freshFor.</item>
/// <item><see cref="HybridCacheEntryOptions.LocalCacheExpiration"/> → ignored: the levels live inside the
/// <see cref="CacheFunc"/>'s adapter, which writes every level with the same TTL (a memory level caps it at its
/// maximum TTL).</item>
/// <item>Flags that disable <b>both</b> levels' reads (<see cref="HybridCacheEntryFlags.DisableLocalCacheRead"/> and
/// <see cref="HybridCacheEntryFlags.DisableDistributedCacheRead"/>) → the factory runs (without stampede protection)
/// and its result is written. Both levels' writes disabled → the result is not stored
/// (<see cref="CacheFuncContext.NoCache"/>). A flag for one level only is ignored: the adapter decides its levels.</item>
/// <item><see cref="HybridCacheEntryFlags.DisableUnderlyingData"/> → the factory never runs: a miss, or an entry
/// invalidated by one of its tags, returns <c>default</c>.</item>
/// <item><see cref="HybridCacheEntryFlags.DisableCompression"/> → nothing to do: entries are never compressed.</item>
/// </list>
/// <para>Tags: stored with the entry (<see cref="CacheFunc.DoAsync{T}(string, IReadOnlyCollection{string}, Func{CacheFuncContext, CancellationToken, Task{T}}, CancellationToken)"/>);
/// <see cref="RemoveByTagAsync(string, CancellationToken)"/> is <see cref="CacheFunc.RemoveByTagAsync(string, CancellationToken)"/>: every entry
/// carrying the tag becomes a miss on every server, without scanning the cache (the invalidation is kept at least as
/// long as the longest <see cref="HybridCacheEntryOptions.Expiration"/> given with tags here). A tag with an unpaired
/// surrogate is refused with an <see cref="ArgumentException"/>.</para>
/// </remarks>
[DebuggerDisplay("{CacheFunc}")]
public sealed class CacheFuncHybridCache : AbstractHybridCache
{
    private const HybridCacheEntryFlags NoReads = HybridCacheEntryFlags.DisableLocalCacheRead | HybridCacheEntryFlags.DisableDistributedCacheRead;
    private const HybridCacheEntryFlags NoWrites = HybridCacheEntryFlags.DisableLocalCacheWrite | HybridCacheEntryFlags.DisableDistributedCacheWrite;

    /// <summary>Creates Microsoft's <see cref="AbstractHybridCache"/> over <paramref name="cacheFunc"/>.</summary>
    /// <param name="cacheFunc">The cache function that stores, reads and computes the entries.</param>
    public CacheFuncHybridCache(CacheFunc cacheFunc)
    {
        ArgumentNullException.ThrowIfNull(cacheFunc);
        CacheFunc = cacheFunc;
    }

    /// <summary>The cache function behind this cache.</summary>
    public CacheFunc CacheFunc { get; }

    /// <inheritdoc/>
    /// <remarks>A stale entry is returned at once and refreshed in the background with <paramref name="factory"/>
    /// (and <paramref name="state"/>), which may therefore run after this call returns. Cancelling ends this caller's
    /// wait only; the factory's token fires when the <see cref="CacheFunc"/>'s waitFor passes or every waiting caller
    /// has cancelled.</remarks>
    public override ValueTask<T> GetOrCreateAsync<TState, T>(
        string key,
        TState state,
        Func<TState, CancellationToken, ValueTask<T>> factory,
        HybridCacheEntryOptions? options = null,
        IEnumerable<string>? tags = null,
        CancellationToken cancellationToken = default)
    {
        CacheArgument.ThrowIfInvalidKey(key);
        ArgumentNullException.ThrowIfNull(factory);
        var flags = options?.Flags ?? HybridCacheEntryFlags.None;
        var entryOptions = ToEntryOptions(options);
        var tagList = ToTags(tags);
        if (Has(flags, HybridCacheEntryFlags.DisableUnderlyingData))
        {
            return Has(flags, NoReads) ? default : GetOnlyAsync<T>(key, cancellationToken);
        }

        if (Has(flags, NoReads))
        {
            return CreateAndSetAsync(key, state, factory, tagList, entryOptions, store: !Has(flags, NoWrites), cancellationToken);
        }

        // The factory, its state and the no-cache flag travel as DoAsync's state: a hit allocates nothing for the call.
        return CacheFunc.DoAsync<(Func<TState, CancellationToken, ValueTask<T>> Factory, TState State, bool NoCache), T>(
            key,
            (factory, state, Has(flags, NoWrites)),
            static (call, context, token) =>
            {
                context.NoCache |= call.NoCache;
                return call.Factory(call.State, token).AsTask();
            },
            entryOptions,
            tagList,
            cancellationToken);
    }

    /// <inheritdoc/>
    public override ValueTask SetAsync<T>(string key, T value, HybridCacheEntryOptions? options = null, IEnumerable<string>? tags = null, CancellationToken cancellationToken = default)
    {
        CacheArgument.ThrowIfInvalidKey(key);
        var tagList = ToTags(tags) ?? [];
        return Has(options?.Flags ?? HybridCacheEntryFlags.None, NoWrites)
            ? default
            : CacheFunc.SetAsync(key, value, tagList, ToEntryOptions(options), cancellationToken);
    }

    /// <inheritdoc/>
    public override ValueTask RemoveAsync(string key, CancellationToken cancellationToken = default)
        => CacheFunc.RemoveAsync(key, cancellationToken);

    /// <inheritdoc/>
    public override ValueTask RemoveAsync(IEnumerable<string> keys, CancellationToken cancellationToken = default)
        => CacheFunc.RemoveAsync(keys, cancellationToken);

    /// <inheritdoc/>
    public override ValueTask RemoveByTagAsync(string tag, CancellationToken cancellationToken = default)
        => CacheFunc.RemoveByTagAsync(tag, cancellationToken);

    // Checked before anything is read or run: a bad tag is refused on a hit too.
    private static string[]? ToTags(IEnumerable<string>? tags)
    {
        if (tags?.ToArray() is not { Length: > 0 } list)
        {
            return null;
        }

        TagInvalidations.ThrowIfInvalid(list, nameof(tags));
        return list;
    }

    // Not Enum.HasFlag, which boxes until the JIT optimizes the method: a hit allocates nothing from its first call.
    private static bool Has(HybridCacheEntryFlags flags, HybridCacheEntryFlags flag) => (flags & flag) == flag;

    private static CacheEntryOptions? ToEntryOptions(HybridCacheEntryOptions? options)
        => options?.Expiration is { } expiration ? new CacheEntryOptions { Ttl = expiration } : null;

    // A miss's Value is default (CacheGetResult.NotFound).
    private async ValueTask<T> GetOnlyAsync<T>(string key, CancellationToken cancellationToken)
        => (await CacheFunc.TryGetAsync<T>(key, cancellationToken).ConfigureAwait(false)).Value!;

    private async ValueTask<T> CreateAndSetAsync<TState, T>(
        string key, TState state, Func<TState, CancellationToken, ValueTask<T>> factory, string[]? tags, CacheEntryOptions? entryOptions, bool store, CancellationToken cancellationToken)
    {
        var value = await factory(state, cancellationToken).ConfigureAwait(false);
        if (store)
        {
            // Like the value of a GetOrCreateAsync that read the cache: a failed write is logged, the value returned.
            await CacheFunc.StoreComputedAsync(key, value, tags, entryOptions).ConfigureAwait(false);
        }

        return value;
    }
}
#endif
