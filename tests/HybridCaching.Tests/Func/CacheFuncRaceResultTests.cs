using System.Text;
using HybridCaching.Testing;
using Microsoft.Extensions.Time.Testing;

namespace HybridCaching.Tests.Func;

/// <summary>What a run hands the adapter's race, i.e. what Redis writes under the lock for other servers (SPEC §6).</summary>
public sealed class CacheFuncRaceResultTests : IAsyncDisposable
{
    private static readonly TimeSpan FreshFor = TimeSpan.FromMinutes(1);

    private readonly FakeTimeProvider _time = new();
    private readonly MemoryCache _memory;
    private readonly RaceRecordingCache _recorder;
    private readonly CacheFunc _func;

    public CacheFuncRaceResultTests()
    {
        _memory = new MemoryCache(1000, 1 << 20, TimeSpan.Zero, _time);
        _recorder = new RaceRecordingCache(_memory);
        _func = new CacheFunc(_recorder, new CacheFuncOptions
        {
            WaitFor = TimeSpan.FromSeconds(10),
            FreshFor = FreshFor,
            Ttl = TimeSpan.FromHours(1),
            TimeProvider = _time,
        });
    }

    public ValueTask DisposeAsync() => _memory.DisposeAsync();

    // Go's Func.Do turns ErrNoCache into a plain result before its race: a Go waiter on a .NET leader must not get an error.
    [Fact]
    public async Task DoBytesAsync_FactorySetsNoCache_RaceResultIsThePlainPayloadAndNothingIsStored()
    {
        byte[] value = await _func.DoBytesAsync("k", (context, _) =>
        {
            context.NoCache = true;
            return Task.FromResult("x"u8.ToArray());
        });

        var result = Assert.Single(_recorder.Results);
        Assert.True(CachePayload.TryRead(result.Value, out var payload));
        Assert.Equal("x", Encoding.UTF8.GetString(payload.Value));
        Assert.Equal(_time.GetUtcNow() + FreshFor, payload.BestBefore);
        Assert.Equal("x", Encoding.UTF8.GetString(value));
        Assert.Null(await _memory.GetAsync("k"));
    }

    [Fact]
    public async Task DoAsync_FactorySetsNoCache_RaceResultIsThePlainPayload()
    {
        string value = await _func.DoAsync<string>("k", (context, _) =>
        {
            context.NoCache = true;
            return Task.FromResult("uncached");
        });

        var result = Assert.Single(_recorder.Results);
        Assert.True(CachePayload.TryRead(result.Value, out var payload));
        Assert.Equal("uncached", CacheFunc.DefaultSerializer.Deserialize<string>(new System.Buffers.ReadOnlySequence<byte>(payload.ValueMemory)));
        Assert.Equal("uncached", value);
        Assert.Null(await _memory.GetAsync("k"));
    }

    [Fact]
    public async Task DoAsync_CachedRun_RaceResultIsTheStoredPayload()
    {
        await _func.DoAsync("k", _ => Task.FromResult("v"));

        var result = Assert.Single(_recorder.Results);
        Assert.Equal(await _memory.GetAsync("k"), result.Value);
    }
}
