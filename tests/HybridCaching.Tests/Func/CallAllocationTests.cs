using HybridCaching.Testing;
using Microsoft.Extensions.Time.Testing;

namespace HybridCaching.Tests.Func;

// What a fresh hit allocates for the call itself (the key precomputed, the value reused): nothing beyond the closure the
// caller's own lambda allocates. Per-call options and tags travel with the call, not in a closure around the factory.
public sealed class CallAllocationTests : IAsyncDisposable
{
    private const string Key = "items:42";

    private static readonly string[] Tags = ["items"];

    private static object? s_sink;

    private readonly FakeTimeProvider _time = new();
    private readonly MemoryCache _memory;
    private readonly CacheFunc _func;

    public CallAllocationTests()
    {
        _memory = new MemoryCache(10_000, 1 << 24, TimeSpan.Zero, _time);
        _func = new CacheFunc(_memory, new CacheFuncOptions
        {
            WaitFor = TimeSpan.FromSeconds(10),
            FreshFor = TimeSpan.FromMinutes(1),
            Ttl = TimeSpan.FromHours(1),
            TimeProvider = _time,
            ReuseValues = true,
        });
    }

    public ValueTask DisposeAsync() => _memory.DisposeAsync();

    internal sealed class ItemsDb
    {
        public int Loads { get; private set; }

        public Task<List<string>> LoadItemsAsync(int id, CancellationToken cancellationToken)
        {
            Loads++;
            return Task.FromResult(new List<string> { $"item {id}" });
        }
    }

    [Fact]
    public async Task LambdaOverload_FreshHit_AllocatesOnlyItsClosure()
    {
        var db = new ItemsDb();
        await Lambda(db, 42);

        Assert.Equal(await ClosureOnlyAsync(db), await HitAllocation.PerHitAsync(() => Lambda(db, 42)));
        Assert.Equal(1, db.Loads);
    }

    [Fact]
    public async Task EntryOptionsOverload_FreshHit_AllocatesOnlyItsClosure()
    {
        var db = new ItemsDb();
        var options = new CacheEntryOptions { FreshFor = TimeSpan.FromMinutes(5) };
        await WithOptions(db, 42, options);

        Assert.Equal(await ClosureOnlyAsync(db), await HitAllocation.PerHitAsync(() => WithOptions(db, 42, options)));
        Assert.Equal(1, db.Loads);
    }

    [Fact]
    public async Task TagsOverload_FreshHitWithStaticLambda_AllocatesNothingForTheTags()
    {
        await _func.DoAsync(Key, Tags, static (_, _) => Task.FromResult(42L));

        Assert.Equal(0, await HitAllocation.PerHitAsync(() => _func.DoAsync(Key, Tags, static (_, _) => Task.FromResult(-1L))));
        Assert.Equal(42L, await _func.DoAsync(Key, Tags, static (_, _) => Task.FromResult(-1L)));
    }

    // The README's form: a lambda capturing what the factory needs, allocated on every call.
    private ValueTask<List<string>> Lambda(ItemsDb db, int id) => _func.DoAsync(Key, ct => db.LoadItemsAsync(id, ct));

    private ValueTask<List<string>> WithOptions(ItemsDb db, int id, CacheEntryOptions options) => _func.DoAsync(Key, ct => db.LoadItemsAsync(id, ct), options);

    // The same closure, allocated (and kept alive) without any cache call.
    private static Task<long> ClosureOnlyAsync(ItemsDb db) => HitAllocation.PerHitAsync(() => Closure(db, 42));

    private static ValueTask<int> Closure(ItemsDb db, int id)
    {
        Func<CancellationToken, Task<List<string>>> fn = ct => db.LoadItemsAsync(id, ct);
        s_sink = fn;
        return default;
    }
}
