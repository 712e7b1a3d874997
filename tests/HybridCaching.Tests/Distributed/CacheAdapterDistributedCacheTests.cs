using System.Buffers.Binary;
using System.Text;
using HybridCaching.Distributed;
using HybridCaching.Testing;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace HybridCaching.Tests.Distributed;

public sealed class CacheAdapterDistributedCacheTests : IAsyncDisposable
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);

    private readonly FakeTimeProvider _time = new();
    private readonly MemoryCache _memory;
    private readonly IDistributedCache _cache;

    public CacheAdapterDistributedCacheTests()
    {
        _memory = new MemoryCache(10_000, 1 << 24, TimeSpan.Zero, _time);
        _cache = new CacheAdapterDistributedCache(_memory, TimeSpan.FromHours(2), _time);
    }

    public ValueTask DisposeAsync() => _memory.DisposeAsync();

    private static byte[] Bytes(string s) => Encoding.UTF8.GetBytes(s);

    private static string? Text(byte[]? b) => b is null ? null : Encoding.UTF8.GetString(b);

    [Fact]
    public async Task SetAsync_NoExpiration_LivesForTheDefaultTtl()
    {
        await _cache.SetAsync("k", Bytes("v"), new DistributedCacheEntryOptions());

        Assert.Equal("v", Text(await _cache.GetAsync("k")));
        Assert.Equal(TimeSpan.FromHours(2), (await _memory.FetchAsync("k")).TimeToLive);
    }

    [Fact]
    public async Task SetAsync_AbsoluteRelativeToNow_ExpiresThen()
    {
        await _cache.SetAsync("k", Bytes("v"), new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(5) });

        _time.Advance(TimeSpan.FromMinutes(4));
        Assert.Equal("v", Text(await _cache.GetAsync("k")));
        _time.Advance(TimeSpan.FromMinutes(2));
        Assert.Null(await _cache.GetAsync("k"));
    }

    [Fact]
    public async Task SetAsync_AbsoluteDate_ExpiresThen()
    {
        await _cache.SetAsync("k", Bytes("v"), new DistributedCacheEntryOptions { AbsoluteExpiration = _time.GetUtcNow().AddMinutes(5) });

        _time.Advance(TimeSpan.FromMinutes(4));
        Assert.Equal("v", Text(await _cache.GetAsync("k")));
        _time.Advance(TimeSpan.FromMinutes(2));
        Assert.Null(await _cache.GetAsync("k"));
    }

    [Fact]
    public async Task SetAsync_AbsoluteDateInThePast_ThrowsAndKeepsTheStoredValue()
    {
        await _cache.SetAsync("k", Bytes("kept"), new DistributedCacheEntryOptions());

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() =>
            _cache.SetAsync("k", Bytes("v"), new DistributedCacheEntryOptions { AbsoluteExpiration = _time.GetUtcNow().AddSeconds(-1) }));

        Assert.Equal("kept", Text(await _cache.GetAsync("k")));
    }

    [Fact]
    public async Task GetAsync_SlidingEntry_EachReadRenewsItsTtl()
    {
        await _cache.SetAsync("k", Bytes("v"), new DistributedCacheEntryOptions { SlidingExpiration = TimeSpan.FromMinutes(10) });

        for (var i = 0; i < 3; i++)
        {
            _time.Advance(TimeSpan.FromMinutes(8));
            Assert.Equal("v", Text(await _cache.GetAsync("k")));
        }

        _time.Advance(TimeSpan.FromMinutes(11));
        Assert.Null(await _cache.GetAsync("k"));
    }

    [Fact]
    public async Task SetAsync_SlidingUnderAMillisecond_StaysSliding()
    {
        await _cache.SetAsync("k", Bytes("v"), new DistributedCacheEntryOptions { SlidingExpiration = TimeSpan.FromTicks(5_000) });

        Assert.Equal(TimeSpan.FromTicks(5_000), (await _memory.FetchAsync("k")).TimeToLive);
        _time.Advance(TimeSpan.FromMilliseconds(2));
        Assert.Null(await _cache.GetAsync("k"));
    }

    [Fact]
    public async Task RefreshAsync_SlidingEntry_RenewsItsTtl()
    {
        await _cache.SetAsync("k", Bytes("v"), new DistributedCacheEntryOptions { SlidingExpiration = TimeSpan.FromMinutes(10) });

        _time.Advance(TimeSpan.FromMinutes(8));
        await _cache.RefreshAsync("k");
        _time.Advance(TimeSpan.FromMinutes(8));

        Assert.Equal("v", Text(await _cache.GetAsync("k")));
    }

    [Fact]
    public async Task RefreshAsync_AbsoluteEntry_DoesNotExtendIt()
    {
        await _cache.SetAsync("k", Bytes("v"), new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(10) });

        _time.Advance(TimeSpan.FromMinutes(8));
        await _cache.RefreshAsync("k");
        _time.Advance(TimeSpan.FromMinutes(3));

        Assert.Null(await _cache.GetAsync("k"));
    }

    [Fact]
    public async Task GetAsync_SlidingWithAbsoluteCap_ExpiresAtTheCapDespiteReads()
    {
        await _cache.SetAsync("k", Bytes("v"), new DistributedCacheEntryOptions
        {
            SlidingExpiration = TimeSpan.FromMinutes(10),
            AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(15),
        });

        _time.Advance(TimeSpan.FromMinutes(8));
        Assert.Equal("v", Text(await _cache.GetAsync("k")));
        Assert.Equal(TimeSpan.FromMinutes(7), (await _memory.FetchAsync("k")).TimeToLive);
        _time.Advance(TimeSpan.FromMinutes(8));

        Assert.Null(await _cache.GetAsync("k"));
    }

    [Fact]
    public async Task SetAsync_StoredBytes_CarryTheHeader()
    {
        var expiry = new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
        await _cache.SetAsync("k", [0xAB], new DistributedCacheEntryOptions { AbsoluteExpiration = expiry, SlidingExpiration = TimeSpan.FromSeconds(90) });

        var stored = await _memory.GetAsync("k");

        Assert.NotNull(stored);
        Assert.Equal("HCD\u0001"u8.ToArray(), stored[..4]);
        Assert.Equal(expiry.ToUnixTimeMilliseconds(), BinaryPrimitives.ReadInt64BigEndian(stored.AsSpan(4)));
        Assert.Equal(90_000, BinaryPrimitives.ReadInt64BigEndian(stored.AsSpan(12)));
        Assert.Equal([0xAB], stored[20..]);
    }

    [Theory]
    [InlineData("")]
    [InlineData("48434401")]
    [InlineData("4843440100000000000000000000000000000000ff")]
    [InlineData("83aa426573744265666f7265d6ff6553f100a556616c7565c40162a15601")]
    [InlineData("48434401ffffffffffffffff000000000000000000")]
    public async Task GetAsync_ForeignOrMalformedBytes_IsAMiss(string hex)
    {
        var bytes = Convert.FromHexString(hex);
        if (bytes.Length == 0)
        {
            bytes = [0x00];
        }

        await _memory.SetAsync("k", bytes, TimeSpan.FromHours(1));

        var value = await _cache.GetAsync("k");

        if (hex.StartsWith("484344010000000000000000", StringComparison.Ordinal))
        {
            Assert.Equal([0xff], value);
        }
        else
        {
            Assert.Null(value);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task GetOrRefresh_RemoveBetweenTheSlidesReadAndRenewal_StaysRemoved(bool refresh)
    {
        var paused = new PausingReadCache(_memory);
        IDistributedCache cache = new CacheAdapterDistributedCache(paused, TimeSpan.FromHours(2), _time);
        await cache.SetAsync("session", Bytes("s"), new DistributedCacheEntryOptions { SlidingExpiration = TimeSpan.FromMinutes(10) });

        var pause = paused.PauseNextRead();
        var slide = refresh ? cache.RefreshAsync("session") : cache.GetAsync("session");
        await pause.Reached.WaitAsync(Guard);
        await cache.RemoveAsync("session"); // the logout, between the slide's read and its renewal
        pause.Release();
        await slide.WaitAsync(Guard);

        Assert.Null(await _memory.GetAsync("session"));
        Assert.Null(await cache.GetAsync("session"));
    }

    [Fact]
    public async Task GetAsync_WriteBetweenTheSlidesReadAndRenewal_KeepsTheNewValueAndItsTtl()
    {
        var paused = new PausingReadCache(_memory);
        IDistributedCache cache = new CacheAdapterDistributedCache(paused, TimeSpan.FromHours(2), _time);
        await cache.SetAsync("k", Bytes("old"), new DistributedCacheEntryOptions { SlidingExpiration = TimeSpan.FromMinutes(10) });

        var pause = paused.PauseNextRead();
        var read = cache.GetAsync("k");
        await pause.Reached.WaitAsync(Guard);
        await cache.SetAsync("k", Bytes("new"), new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(1) });
        pause.Release();

        Assert.Equal("old", Text(await read.WaitAsync(Guard))); // read before the write
        Assert.Equal("new", Text(await cache.GetAsync("k")));
        Assert.Equal(TimeSpan.FromMinutes(1), (await _memory.FetchAsync("k")).TimeToLive);
    }

    [Fact]
    public async Task SetAsync_SlidingOverAnAdapterThatCannotRenew_ThrowsAndWritesNothing()
    {
        await using var plain = new DistributedCacheAdapter(new MemoryDistributedCache(Options.Create(new Microsoft.Extensions.Caching.Memory.MemoryDistributedCacheOptions())));
        IDistributedCache cache = new CacheAdapterDistributedCache(plain);

        var ex = await Assert.ThrowsAsync<NotSupportedException>(() =>
            cache.SetAsync("k", Bytes("v"), new DistributedCacheEntryOptions { SlidingExpiration = TimeSpan.FromMinutes(1) }));

        Assert.Contains(nameof(ICacheRenewal), ex.Message, StringComparison.Ordinal);
        Assert.Null(await plain.GetAsync("k"));
        await cache.SetAsync("k", Bytes("v"), new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(1) });
        Assert.Equal("v", Text(await cache.GetAsync("k")));
    }

    [Fact]
    public async Task RemoveAsync_StoredKey_IsGone()
    {
        await _cache.SetAsync("k", Bytes("v"), new DistributedCacheEntryOptions());

        await _cache.RemoveAsync("k");

        Assert.Null(await _cache.GetAsync("k"));
    }

    [Fact]
    public async Task SyncMembers_OverAnAdapterWithoutASyncPath_ThrowNotSupportedNamingTheAdapterAndTheAsyncMember()
    {
        await using var plain = new DictionaryCacheAdapter(_time);
        IDistributedCache cache = new CacheAdapterDistributedCache(plain);

        foreach (var (call, asyncMember) in new (Action, string)[]
        {
            (() => cache.Get("k"), "GetAsync"),
            (() => cache.Set("k", Bytes("v"), new DistributedCacheEntryOptions()), "SetAsync"),
            (() => cache.Refresh("k"), "RefreshAsync"),
            (() => cache.Remove("k"), "RemoveAsync"),
            (() => cache.SetString("k", "v"), "SetAsync"),
        })
        {
            var ex = Assert.Throws<NotSupportedException>(call);
            Assert.Contains(nameof(DictionaryCacheAdapter), ex.Message, StringComparison.Ordinal);
            Assert.Contains($"Use {asyncMember}", ex.Message, StringComparison.Ordinal);
        }

        Assert.Null(await plain.GetAsync("k"));
    }

    [Fact]
    public async Task SetAsync_NoExpirationAndNoDefaultTtl_LivesIndefinitely()
    {
        IDistributedCache cache = new CacheAdapterDistributedCache(_memory, timeProvider: _time);

        await cache.SetAsync("k", Bytes("v"), new DistributedCacheEntryOptions());
        _time.Advance(TimeSpan.FromDays(3650));

        Assert.Equal("v", Text(await cache.GetAsync("k")));
        Assert.True((await _memory.FetchAsync("k")).TimeToLive > TimeSpan.FromDays(365 * 1000));
    }

    [Fact]
    public async Task SetAsync_AbsoluteDateInThePast_FaultsTheTaskWithMicrosoftsParameterName()
    {
        var past = _time.GetUtcNow().AddMinutes(-1);

        var set = _cache.SetAsync("k", Bytes("v"), new DistributedCacheEntryOptions { AbsoluteExpiration = past }); // no synchronous throw

        var ex = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => set);
        Assert.Equal(nameof(DistributedCacheEntryOptions.AbsoluteExpiration), ex.ParamName);
        Assert.Equal(past, ex.ActualValue);
        var sync = Assert.Throws<ArgumentOutOfRangeException>(() => _cache.Set("k", Bytes("v"), new DistributedCacheEntryOptions { AbsoluteExpiration = past }));
        Assert.Equal(nameof(DistributedCacheEntryOptions.AbsoluteExpiration), sync.ParamName);

        // As Microsoft's Redis cache: a relative expiration set beside it does not excuse the past date.
        var both = new DistributedCacheEntryOptions { AbsoluteExpiration = past, AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(5) };
        Assert.Equal(nameof(DistributedCacheEntryOptions.AbsoluteExpiration), (await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => _cache.SetAsync("k", Bytes("v"), both))).ParamName);
        Assert.Null(await _memory.GetAsync("k"));
    }

    [Fact]
    public async Task AsyncMembers_BadArguments_FaultTheirTaskInsteadOfThrowing()
    {
        var tasks = new Func<Task>[]
        {
            () => _cache.GetAsync(null!),
            () => _cache.SetAsync("k", null!, new DistributedCacheEntryOptions()),
            () => _cache.SetAsync("k", Bytes("v"), null!),
            () => _cache.RefreshAsync(""),
            () => _cache.RemoveAsync(""),
        };

        foreach (var start in tasks)
        {
            var task = start(); // returned, not thrown
            await Assert.ThrowsAnyAsync<ArgumentException>(() => task);
        }
    }

    [Fact]
    public async Task Methods_BadArguments_ThrowAndKeepStoredValues()
    {
        await _cache.SetAsync("kept", Bytes("v"), new DistributedCacheEntryOptions());

        await Assert.ThrowsAsync<ArgumentNullException>(() => _cache.GetAsync(null!));
        await Assert.ThrowsAsync<ArgumentException>(() => _cache.SetAsync("", Bytes("x"), new DistributedCacheEntryOptions()));
        await Assert.ThrowsAsync<ArgumentNullException>(() => _cache.SetAsync("kept", null!, new DistributedCacheEntryOptions()));
        await Assert.ThrowsAsync<ArgumentNullException>(() => _cache.SetAsync("kept", Bytes("x"), null!));
        await Assert.ThrowsAsync<ArgumentException>(() => _cache.RemoveAsync(""));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CacheAdapterDistributedCache(_memory, TimeSpan.Zero));

        Assert.Equal("v", Text(await _cache.GetAsync("kept")));
    }
}
