using System.Net;
using System.Text;
using HybridCaching.Http;
using HybridCaching.Redis;
using HybridCaching.Testing;

namespace HybridCaching.Redis.Tests;

/// <summary>
/// The bytes a .NET leader leaves under the lock (<see cref="LockResultCodec.Encode(RaceResult)"/> of what its run
/// hands the race; RedisCacheTests.RaceAsync_LeaderResult_IsStoredInGoFormat shows Redis holds exactly those), read
/// by Go's rules (SPEC §6): any <c>Err</c> fails the waiter; otherwise <c>Res</c> is a payload envelope, which Go's
/// middleware replays as StatusCode, Header and Value.
/// </summary>
public sealed class GoLockResultTests : IAsyncDisposable
{
    private readonly MemoryCache _memory = new(1000, 1 << 20, TimeSpan.Zero);
    private readonly RaceRecordingCache _recorder;

    public GoLockResultTests() => _recorder = new RaceRecordingCache(_memory);

    public ValueTask DisposeAsync() => _memory.DisposeAsync();

    private static (int StatusCode, Dictionary<string, string[]> Header, byte[] Value) ReadAsGoWaiter(byte[] lockValue)
    {
        var (res, err) = LockResultCodec.Decode(lockValue);
        Assert.Null(err);
        Assert.NotNull(res);
        Assert.True(CachePayload.TryRead(res, out var payload));
        return (payload.StatusCode, payload.ReadHeader() ?? [], payload.Value.ToArray());
    }

    private async Task<byte[]> LeadThroughHandlerAsync(Func<HttpResponseMessage> respond)
    {
        var handler = new HttpCacheHandler(new HttpCacheHandlerOptions { Cache = _recorder }, new Origin(respond));
        using var client = new HttpClient(handler);
        using var response = await client.GetAsync("http://origin.test/r");
        await response.Content.LoadIntoBufferAsync();
        return LockResultCodec.Encode(Assert.Single(_recorder.Results));
    }

    [Fact]
    public async Task Encode_CacheFuncRunWithNoCache_IsResOnlyAsGoFuncDoWrites()
    {
        await new CacheFunc(_recorder, TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(1), TimeSpan.FromHours(1))
            .DoBytesAsync("k", (context, _) =>
            {
                context.NoCache = true;
                return Task.FromResult("x"u8.ToArray());
            });
        var result = Assert.Single(_recorder.Results);

        byte[] written = LockResultCodec.Encode(result);

        // {Res: <payload>}: the shape of the SPEC vector 81a3526573c40178 ({Res: "x"}), with no Err field.
        byte[] payload = result.Value!;
        Assert.Equal([0x81, 0xa3, (byte)'R', (byte)'e', (byte)'s', 0xc4, (byte)payload.Length, .. payload], written);
        Assert.Equal("81a3526573c40178", Convert.ToHexStringLower(LockResultCodec.Encode(new RaceResult("x"u8.ToArray()))));
        Assert.Equal("x", Encoding.UTF8.GetString(ReadAsGoWaiter(written).Value));
        Assert.Null(await _memory.GetAsync("k"));
    }

    [Fact]
    public async Task Encode_HandlerLeader500_GoWaiterReplaysThe500()
    {
        byte[] written = await LeadThroughHandlerAsync(() => new HttpResponseMessage(HttpStatusCode.InternalServerError)
        {
            Content = new StringContent("boom page"),
        });

        var (status, header, value) = ReadAsGoWaiter(written);

        Assert.Equal(500, status);
        Assert.Equal("boom page", Encoding.UTF8.GetString(value));
        Assert.Equal(["text/plain; charset=utf-8"], header["Content-Type"]);
        Assert.Null(await _memory.GetAsync("http://origin.test/r"));
    }

    [Fact]
    public async Task Encode_HandlerLeaderBypass_GoWaiterReplaysAnEmpty503()
    {
        byte[] written = await LeadThroughHandlerAsync(() =>
        {
            var response = new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent("user page") };
            response.Headers.TryAddWithoutValidation("Set-Cookie", "sid=secret");
            return response;
        });

        var (status, header, value) = ReadAsGoWaiter(written);

        Assert.Equal(503, status);
        Assert.Empty(value);
        Assert.Equal(["1"], header["X-Hybridcache-Bypass"]);
        Assert.False(header.ContainsKey("Set-Cookie"));
        Assert.Null(await _memory.GetAsync("http://origin.test/r"));
    }

    private sealed class Origin(Func<HttpResponseMessage> respond) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
            => Task.FromResult(respond());
    }
}
