using System.Collections.Concurrent;
using System.Text;
using HybridCaching.Serialization;
using Microsoft.Extensions.Time.Testing;

namespace HybridCaching.Testing.Conformance;

/// <summary>
/// The Go suite's CacheFunc tables (SPEC §9: DoBytes, Do, concurrent Do), run on real time against
/// every adapter: derive, and create the adapter under test in <see cref="CreateAdapterAsync"/>.
/// </summary>
public abstract class CacheFuncConformanceTests : AdapterSuite
{
    /// <summary>Rounds × keys of the concurrent test (Go: 10 for memory, 5 for Redis).</summary>
    protected virtual int ConcurrentSize => 10;

    /// <summary>How long the concurrent test's factory takes (Go: 100 ms for memory, 300 ms for Redis).</summary>
    protected virtual TimeSpan ConcurrentWork => TimeSpan.FromMilliseconds(100);

    // The table's CacheFunc (freshFor 50 ms as in Go). Freshness is measured on a fake clock that the table
    // advances, so a slow machine cannot turn a "fresh" row stale; TTLs and lock windows stay on the adapter's
    // real clock, so the TTL is a minute rather than Go's 2 s (no row tests expiry, and a loaded machine can
    // take longer than 2 s between a write and the row that reads it). Go's waitFor of 50 ms applies to the timeout row only (TimeoutFunc): on a
    // loaded 2-core machine a background refresh over Redis can need longer than that.
    private (CacheFunc Func, FakeTimeProvider Time) NewTableFunc()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var func = new CacheFunc(Cache, new CacheFuncOptions
        {
            WaitFor = TimeSpan.FromSeconds(5),
            FreshFor = TimeSpan.FromMilliseconds(50),
            Ttl = TimeSpan.FromMinutes(1),
            TimeProvider = time,
        });
        return (func, time);
    }

    private CacheFunc TimeoutFunc() => new(Cache, TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(50), TimeSpan.FromSeconds(2));

    // Moves freshness forward on the fake clock and lets the same real time pass, so a shared
    // adapter's real-time suppression window (the Redis lock result lives min(2 s, freshFor)) ends too.
    private static async Task PassAsync(FakeTimeProvider time, int milliseconds)
    {
        time.Advance(TimeSpan.FromMilliseconds(milliseconds));
        await Task.Delay(milliseconds);
    }

    [Fact]
    public async Task DoBytesAsync_GoTable_ServesFreshStaleAndErrorsAsTheOriginal()
    {
        var (func, time) = NewTableFunc();
        static Func<CancellationToken, Task<byte[]>> Returns(string s) => _ => Task.FromResult(Encoding.UTF8.GetBytes(s));
        async Task<string> Do(string key, Func<CancellationToken, Task<byte[]>> fn) => Encoding.UTF8.GetString(await func.DoBytesAsync(key, fn));

        Assert.Equal("b", await Do("a", Returns("b")));
        await PassAsync(time, 1);
        Assert.Equal("b", await Do("a", _ => throw new InvalidOperationException("must not run: still fresh")));
        await PassAsync(time, 101);
        Assert.Equal("b", await Do("a", Returns("c")));
        await WaitUntilRefreshedAsync(func, "a", "c"u8.ToArray());
        await PassAsync(time, 101);
        Assert.Equal("c", await Do("a", Returns("d")));
        await WaitUntilRefreshedAsync(func, "a", "d"u8.ToArray());

        var expected = await Assert.ThrowsAsync<InvalidOperationException>(
            () => func.DoBytesAsync("b", _ => Task.FromException<byte[]>(new InvalidOperationException("expected error"))).AsTask());
        Assert.Equal("expected error", expected.Message);

        Assert.Equal("c1", Encoding.UTF8.GetString(await func.DoBytesAsync("c", (context, _) =>
        {
            Assert.False(context.IsBackgroundRefresh);
            context.NoCache = true;
            return Task.FromResult("c1"u8.ToArray());
        })));
        await PassAsync(time, 100);
        Assert.Equal("c2", Encoding.UTF8.GetString(await func.DoBytesAsync("c", (context, _) =>
        {
            context.NoCache = true;
            return Task.FromResult("c2"u8.ToArray());
        })));

        await Assert.ThrowsAsync<TimeoutException>(() => TimeoutFunc().DoBytesAsync("loooong", async token =>
        {
            await Task.Delay(TimeSpan.FromSeconds(1), CancellationToken.None);
            return "late"u8.ToArray();
        }).AsTask());

        var die = await Assert.ThrowsAsync<InvalidOperationException>(
            () => func.DoBytesAsync("die", _ => throw new InvalidOperationException("booommm")).AsTask());
        Assert.Equal("booommm", die.Message);
    }

    [Fact]
    public async Task DoAsync_GoTable_ServesFreshStaleAndErrorsAsTheOriginal()
    {
        var (func, time) = NewTableFunc();
        static Func<CancellationToken, Task<string>> Returns(string s) => _ => Task.FromResult(s);

        Assert.Equal("b", await func.DoAsync("a", Returns("b")));
        await PassAsync(time, 1);
        Assert.Equal("b", await func.DoAsync<string>("a", _ => throw new InvalidOperationException("must not run: still fresh")));
        await PassAsync(time, 101);
        Assert.Equal("b", await func.DoAsync("a", Returns("c")));
        await WaitUntilRefreshedAsync(func, "a", CacheFunc.DefaultSerializer.Serialize("c"));
        await PassAsync(time, 101);
        Assert.Equal("c", await func.DoAsync("a", Returns("d")));
        await WaitUntilRefreshedAsync(func, "a", CacheFunc.DefaultSerializer.Serialize("d"));

        // System.Text.Json cannot read what MessagePack (the default) wrote: a miss, not an error.
        var json = new CacheFunc(Cache, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(2), SystemTextJsonCacheSerializer.Default);
        Assert.Equal("asdf", await json.DoAsync("a", Returns("asdf")));

        var expected = await Assert.ThrowsAsync<InvalidOperationException>(
            () => func.DoAsync<string>("b", _ => Task.FromException<string>(new InvalidOperationException("expected error"))).AsTask());
        Assert.Equal("expected error", expected.Message);

        Assert.Equal("c1", await func.DoAsync<string>("c", (context, _) =>
        {
            Assert.False(context.IsBackgroundRefresh);
            context.NoCache = true;
            return Task.FromResult("c1");
        }));
        await PassAsync(time, 100);
        Assert.Equal("c2", await func.DoAsync<string>("c", (context, _) =>
        {
            context.NoCache = true;
            return Task.FromResult("c2");
        }));

        await Assert.ThrowsAsync<TimeoutException>(() => TimeoutFunc().DoAsync("loooong", async token =>
        {
            await Task.Delay(TimeSpan.FromSeconds(1), CancellationToken.None);
            return "late";
        }).AsTask());

        var die = await Assert.ThrowsAsync<InvalidOperationException>(
            () => func.DoAsync<string>("die", _ => throw new InvalidOperationException("booommm")).AsTask());
        Assert.Equal("booommm", die.Message);
    }

    [Fact]
    public async Task DoAsync_ConcurrentCallers_RunOncePerKeyAndAllGetTheirValue()
    {
        var func = new CacheFunc(Cache, TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5));
        var calls = new ConcurrentDictionary<string, int>();
        var prefix = "concurrent-" + Guid.NewGuid().ToString("N")[..8] + "-";
        var runs = new List<(string Key, Task<string> Run)>();
        for (var round = 0; round < ConcurrentSize; round++)
        {
            for (var i = 0; i < ConcurrentSize; i++)
            {
                var key = prefix + i;
                runs.Add((key, func.DoAsync(key, async token =>
                {
                    calls.AddOrUpdate(key, 1, (_, n) => n + 1);
                    await Task.Delay(ConcurrentWork, token);
                    return "foo" + key;
                }).AsTask()));
            }
        }

        foreach (var (key, run) in runs)
        {
            Assert.Equal("foo" + key, await run);
        }

        Assert.Equal(ConcurrentSize, calls.Count);
        Assert.All(calls, pair => Assert.Equal(1, pair.Value));
    }

    // Waits until a background refresh has stored the expected value bytes (read from the adapter, so no
    // refresh is triggered) and has ended. The refresh frees its key only after the store, so a stale read
    // between the two (a loaded machine) would find the key still refreshing and start no new refresh.
    private async Task WaitUntilRefreshedAsync(CacheFunc func, string key, byte[] expectedValue)
    {
        await Polling.EventuallyAsync(async () => StoredValueIs(await Cache.GetAsync(key), expectedValue));
        await func.WhenBackgroundRefreshesIdleAsync().WaitAsync(TimeSpan.FromSeconds(10));
    }

    private static bool StoredValueIs(byte[]? stored, byte[] expectedValue)
        => stored is not null && CachePayload.TryRead(stored, out var payload) && payload.Value.SequenceEqual(expectedValue);
}
