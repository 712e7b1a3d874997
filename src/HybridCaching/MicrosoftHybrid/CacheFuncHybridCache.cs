// net10.0 only: Microsoft's HybridCache abstraction arrived in Caching.Abstractions 9.0; net8.0 stays on the 8.0.x line.
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
/// <para>Entries are the <see cref="CacheFunc"/>'s, serialized with its <see cref="Serialization.ICacheSerializer"/>
/// (not <c>IHybridCacheSerializer&lt;T&gt;</c>), so <c>DoAsync</c> callers, this class and Go services read each
/// other's entries. <see cref="HybridCacheEntryOptions.Expiration"/> is the entry's TTL;
/// <see cref="HybridCacheEntryOptions.LocalCacheExpiration"/> is ignored (the adapter writes every level with one TTL).
/// Both levels' reads disabled: the factory runs and its result is written; both levels' writes disabled: the result is
/// not stored; a flag for one level only is ignored. <see cref="HybridCacheEntryFlags.DisableUnderlyingData"/>: the
/// factory never runs, a miss returns <c>default</c>. Entries are never compressed.</para>
/// <para>Tags are stored with the entry; <see cref="RemoveByTagAsync(string, CancellationToken)"/> is
/// <see cref="CacheFunc.RemoveByTagAsync(string, CancellationToken)"/>: every entry carrying the tag becomes a miss on
/// every server, without scanning the cache. A tag with an unpaired surrogate is refused with an
/// <see cref="ArgumentException"/>. See docs/microsoft-hybridcache.md.</para>
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
