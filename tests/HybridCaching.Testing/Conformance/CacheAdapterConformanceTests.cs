using System.Text;

namespace HybridCaching.Testing.Conformance;

/// <summary>
/// The Go suite's common adapter cases (SPEC §9): the storage contract, run against every adapter (a user-written one
/// included): derive, and create the adapter under test in <see cref="CreateAdapterAsync"/>. The race is
/// <see cref="CacheRaceConformanceTests"/>.
/// </summary>
public abstract class CacheAdapterConformanceTests : AdapterSuite
{
    protected static byte[] Bytes(string s) => Encoding.UTF8.GetBytes(s);

    protected static string? Text(byte[]? b) => b is null ? null : Encoding.UTF8.GetString(b);

    [Fact]
    public async Task GetAsync_MissingKey_ReturnsNull()
    {
        Assert.Null(await Cache.GetAsync("missing-" + Guid.NewGuid()));
        Assert.False((await Cache.FetchAsync("missing-" + Guid.NewGuid())).Found);
    }

    [Fact]
    public async Task SetAsync_ThenGet_ReturnsValue()
    {
        await Cache.SetAsync("a", Bytes("abc"), TimeSpan.FromSeconds(2046));
        Assert.Equal("abc", Text(await Cache.GetAsync("a")));
    }

    [Fact]
    public async Task FetchAsync_StoredKey_ReturnsValueAndRemainingTtl()
    {
        await Cache.SetAsync("f", Bytes("xyz"), TimeSpan.FromSeconds(2046));
        var fetched = await Cache.FetchAsync("f");
        Assert.True(fetched.Found);
        Assert.Equal("xyz", Text(fetched.Value));
        Assert.InRange(fetched.TimeToLive, TimeSpan.FromSeconds(2000), TimeSpan.FromSeconds(2046));
    }

    [Fact]
    public async Task DeleteAsync_StoredKey_IsNotFound()
    {
        await Cache.SetAsync("a", Bytes("abc"), TimeSpan.FromSeconds(2046));
        await Cache.SetAsync("b", Bytes("abc"), TimeSpan.FromSeconds(2046));
        await Cache.DeleteAsync("a");
        Assert.Null(await Cache.GetAsync("a"));
        Assert.NotNull(await Cache.GetAsync("b"));
        await Cache.DeleteAsync(["b", "never-set"]);
        Assert.Null(await Cache.GetAsync("b"));
    }

    [Fact]
    public async Task RenewIfUnchangedAsync_RenewsOnlyWhileTheEntryHoldsTheBytesRead()
    {
        var renewal = Assert.IsAssignableFrom<ICacheRenewal>(Cache);
        await Cache.SetAsync("r", Bytes("v1"), TimeSpan.FromSeconds(100));

        Assert.True(await renewal.RenewIfUnchangedAsync("r", Bytes("v1"), TimeSpan.FromSeconds(2046))); // equal bytes, another array
        Assert.InRange((await Cache.FetchAsync("r")).TimeToLive, TimeSpan.FromSeconds(2000), TimeSpan.FromSeconds(2046));

        await Cache.SetAsync("r", Bytes("v2"), TimeSpan.FromSeconds(100));
        Assert.False(await renewal.RenewIfUnchangedAsync("r", Bytes("v1"), TimeSpan.FromSeconds(2046)));
        var replaced = await Cache.FetchAsync("r");
        Assert.Equal("v2", Text(replaced.Value));
        Assert.InRange(replaced.TimeToLive, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(100));

        await Cache.DeleteAsync("r");
        Assert.False(await renewal.RenewIfUnchangedAsync("r", Bytes("v2"), TimeSpan.FromSeconds(2046)));
        Assert.Null(await Cache.GetAsync("r"));
    }

    [Fact]
    public async Task SetAsync_ShortTtl_ExpiresAfterIt()
    {
        // Go uses 100 ms; 1 s keeps the "still there" reads safe on a loaded CI machine.
        await Cache.SetAsync("a", Bytes("b"), TimeSpan.FromSeconds(1));
        Assert.Equal("b", Text(await Cache.GetAsync("a")));
        Assert.Equal("b", Text(await Cache.GetAsync("a")));
        await Task.Delay(TimeSpan.FromMilliseconds(1_200));
        Assert.Null(await Cache.GetAsync("a"));
    }

    [Fact]
    public async Task ClearAsync_StoredKeys_AreNotFound()
    {
        await Cache.SetAsync("a", Bytes("b"), TimeSpan.FromSeconds(60));
        await Cache.SetAsync("c", Bytes("d"), TimeSpan.FromSeconds(60));
        await Cache.ClearAsync();
        Assert.Null(await Cache.GetAsync("a"));
        Assert.Null(await Cache.GetAsync("c"));
    }

    [Fact]
    public async Task DisposeAsync_ThenUse_ThrowsObjectDisposedException()
    {
        await Cache.DisposeAsync();
        await Cache.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await Cache.GetAsync("a"));
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await Cache.SetAsync("a", Bytes("b"), TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public async Task Methods_BadArguments_ThrowArgumentExceptionsAndKeepStoredValues()
    {
        await Cache.SetAsync("kept", Bytes("v"), TimeSpan.FromSeconds(60));
        await Assert.ThrowsAsync<ArgumentNullException>(async () => await Cache.GetAsync(null!));
        await Assert.ThrowsAsync<ArgumentException>(async () => await Cache.GetAsync(""));
        await Assert.ThrowsAsync<ArgumentException>(async () => await Cache.FetchAsync(""));
        await Assert.ThrowsAsync<ArgumentException>(async () => await Cache.SetAsync("", Bytes("v"), TimeSpan.FromSeconds(1)));
        await Assert.ThrowsAsync<ArgumentNullException>(async () => await Cache.SetAsync("kept", null!, TimeSpan.FromSeconds(1)));
        var ttl = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await Cache.SetAsync("kept", Bytes("x"), TimeSpan.Zero));
        Assert.Equal("ttl", ttl.ParamName);
        await Assert.ThrowsAsync<ArgumentException>(async () => await Cache.DeleteAsync(["kept", ""]));
        Assert.Equal("v", Text(await Cache.GetAsync("kept")));
    }
}
