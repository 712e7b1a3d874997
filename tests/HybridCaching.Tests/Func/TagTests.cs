using System.Globalization;
using System.Text;
using HybridCaching.Serialization;
using HybridCaching.Testing;
using Microsoft.Extensions.Time.Testing;

namespace HybridCaching.Tests.Func;

public sealed class TagTests
{
    private static readonly byte[] GoVector = Convert.FromHexString("83aa426573744265666f7265d6ff6553f100a556616c7565c40162a15601");

    [Fact]
    public async Task RemoveByTagAsync_TaggedEntries_NextReadRunsFactory()
    {
        using var memory = new MemoryCache(1000, 1 << 20, TimeSpan.FromHours(1));
        var func = new CacheFunc(memory, TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5));
        var calls = 0;
        Task<string> Factory(CacheFuncContext _, CancellationToken __) => Task.FromResult("v" + Interlocked.Increment(ref calls));

        Assert.Equal("v1", await func.DoAsync("a", ["t1"], Factory));
        Assert.Equal("v2", await func.DoAsync("b", ["t2"], Factory));
        Assert.Equal("v3", await func.DoAsync("c", Factory));
        Assert.Equal("v1", await func.DoAsync("a", ["t1"], Factory));
        Assert.Equal(3, calls);

        await func.RemoveByTagAsync("t1");

        Assert.Equal("v4", await func.DoAsync("a", ["t1"], Factory)); // invalidated
        Assert.Equal("v4", await func.DoAsync("a", ["t1"], Factory)); // written after the invalidation: a hit
        Assert.Equal("v2", await func.DoAsync("b", ["t2"], Factory)); // other tag untouched
        Assert.Equal("v3", await func.DoAsync("c", Factory));         // untagged untouched
        Assert.Equal(4, calls);
    }

    [Fact]
    public async Task DoAsync_FactorySetsTags_TagsAreStored()
    {
        using var memory = new MemoryCache(1000, 1 << 20, TimeSpan.FromHours(1));
        var func = new CacheFunc(memory, TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5));
        var calls = 0;

        await func.DoAsync("a", (context, _) =>
        {
            context.Tags = ["computed"];
            return Task.FromResult(Interlocked.Increment(ref calls));
        });
        await func.RemoveByTagAsync("computed");
        await func.DoAsync("a", (_, _) => Task.FromResult(Interlocked.Increment(ref calls)));

        Assert.Equal(2, calls);
    }

    [Fact]
    public async Task DoAsync_NoTags_StoredEnvelopeIsGoFormat()
    {
        using var memory = new MemoryCache(1000, 1 << 20, TimeSpan.FromHours(1));
        var func = new CacheFunc(memory, TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5));

        await func.DoAsync("a", _ => Task.FromResult("b"));

        var stored = (await memory.GetAsync("a"))!;
        Assert.True(CachePayload.TryRead(stored, out var payload));
        Assert.False(payload.HasTags);
        Assert.Equal(CachePayload.Write(payload.BestBefore, MessagePackCacheSerializer.Default.Serialize("b")), stored);
    }

    [Fact]
    public void WithTags_GoVector_KeepsGoFieldsAndAddsTagsAndWritten()
    {
        var written = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);

        var tagged = CachePayload.WithTags(GoVector, ["a", "b"], written);

        Assert.Equal("83aa426573744265666f7265d6ff6553f100a556616c7565c40162a15601", Convert.ToHexString(GoVector).ToLowerInvariant());
        Assert.Equal(0x85, tagged[0]);
        Assert.Equal(GoVector[1..], tagged[1..GoVector.Length]); // Go's fields unchanged, in Go's order
        Assert.True(CachePayload.TryRead(tagged, out var payload));
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1700000000), payload.BestBefore);
        Assert.Equal("b"u8.ToArray(), payload.Value.ToArray());
        Assert.Equal(["a", "b"], payload.ReadTags());
        Assert.Equal(written, payload.Written);
    }

    [Theory]
    [InlineData("85aa426573744265666f7265d6ff6553f100a556616c7565c40162a15601a45461677301a75772697474656ed6ff6553f100")] // Tags not an array
    [InlineData("85aa426573744265666f7265d6ff6553f100a556616c7565c40162a15601a4546167739101a75772697474656ed6ff6553f100")] // a tag not a string
    [InlineData("84aa426573744265666f7265d6ff6553f100a556616c7565c40162a15601a75772697474656e01")] // Written not a timestamp
    public void TryRead_MalformedTagFields_IsInvalid(string hex)
    {
        Assert.False(CachePayload.TryRead(Convert.FromHexString(hex), out _));
    }

    [Fact]
    public async Task RemoveByTagAsync_GarbageInvalidationTime_TaggedEntriesAreMisses()
    {
        using var memory = new MemoryCache(1000, 1 << 20, TimeSpan.FromHours(1));
        var func = new CacheFunc(memory, TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5));
        var calls = 0;
        Task<int> Factory(CacheFuncContext _, CancellationToken __) => Task.FromResult(Interlocked.Increment(ref calls));
        await func.DoAsync("a", ["t"], Factory);

        await memory.SetAsync("!tag!t", "not a number"u8.ToArray(), TimeSpan.FromMinutes(1));
        await func.DoAsync("a", ["t"], Factory);

        Assert.Equal(2, calls);
    }

    [Fact]
    public async Task DoAsync_InvalidTags_Throws()
    {
        using var memory = new MemoryCache(1000, 1 << 20, TimeSpan.FromHours(1));
        var func = new CacheFunc(memory, TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5));
        await Assert.ThrowsAsync<ArgumentException>(() => func.DoAsync("a", [""], (_, _) => Task.FromResult(1)).AsTask());
        await Assert.ThrowsAnyAsync<ArgumentException>(() => func.RemoveByTagAsync("").AsTask());
    }

    [Fact]
    public async Task DoAsync_LockResultOfAnotherServerWrittenBeforeRemoveByTag_RunsFactory()
    {
        // Another server's run left its result under the lock; the tag was evicted after it was written, and this
        // instance's memory level has not read the tag's time yet.
        var written = DateTimeOffset.UtcNow - TimeSpan.FromSeconds(10);
        var leftUnderLock = CachePayload.WithTags(
            CachePayload.Write(written + TimeSpan.FromMinutes(1), MessagePackCacheSerializer.Default.Serialize("before eviction")),
            ["t"],
            written);
        using var upstreamStore = new MemoryCache(1000, 1 << 20, TimeSpan.FromHours(1));
        var evictedAt = (written + TimeSpan.FromSeconds(1)).UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        await upstreamStore.SetAsync("!tag!t", Encoding.ASCII.GetBytes(evictedAt.ToString(CultureInfo.InvariantCulture)), TimeSpan.FromMinutes(5));
        var upstream = new RemoteLeaderCache(upstreamStore, new RaceResult(leftUnderLock));
        using var downstream = new MemoryCache(1000, 1 << 20, TimeSpan.FromHours(1));
        await using var hybrid = new HybridCache(upstream, downstream);
        var func = new CacheFunc(hybrid, TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5));

        var value = await func.DoAsync("k", ["t"], (_, _) => Task.FromResult("after eviction"));

        Assert.Equal("after eviction", value);
        Assert.Equal(1, upstream.Races);
    }

    [Fact]
    public async Task DoAsync_TagEvictedWhileFactoryRuns_ValueReadBeforeTheEvictionIsNeverReturned()
    {
        var time = new FakeTimeProvider();
        using var memory = new MemoryCache(1000, 1 << 20, TimeSpan.FromHours(1), time);
        var func = new CacheFunc(memory, new CacheFuncOptions { WaitFor = TimeSpan.FromSeconds(10), FreshFor = TimeSpan.FromMinutes(1), Ttl = TimeSpan.FromMinutes(5), TimeProvider = time });
        string data = "old";
        int calls = 0;

        // The factory reads the data; then the data changes and its tag is evicted; then the factory returns.
        async Task<string> ReadThenDataChanges(CacheFuncContext context, CancellationToken cancellationToken)
        {
            string read = data;
            if (++calls == 1)
            {
                time.Advance(TimeSpan.FromMilliseconds(5));
                data = "new";
                await func.RemoveByTagAsync("t", cancellationToken);
                time.Advance(TimeSpan.FromMilliseconds(5));
            }

            return read;
        }

        string first = await func.DoAsync("k", ["t"], ReadThenDataChanges);
        string next = await func.DoAsync("k", ["t"], (_, _) => { calls++; return Task.FromResult(data); });

        // The value read before the eviction is never handed out: the call computes it again, and that is stored.
        Assert.Equal("new", first);
        Assert.Equal("new", next);
        Assert.Equal(2, calls);
    }
}
