using System.Text;
using HybridCaching.Redis.Client;
using HybridCaching.Testing.Redis;

namespace HybridCaching.Redis.Tests.Client;

[Collection(RedisCollection.Name)]
[Trait("Category", "Redis")]
public sealed class RedisConnectionTests(RedisServerFixture server)
{
    private static string Key() => "conn:" + Guid.NewGuid().ToString("N");

    [Theory]
    [InlineData(RedisProtocol.Resp2)]
    [InlineData(RedisProtocol.Resp3)]
    public async Task ExecuteAsync_SetGetBinary_RoundTrips(RedisProtocol protocol)
    {
        await using var connection = await RedisConnection.ConnectAsync(new RedisConnectionOptions { Host = server.Host, Port = server.Port, Protocol = protocol });
        Assert.Equal(protocol, connection.Protocol);
        var key = Key();
        var value = Enumerable.Range(0, 256).Select(i => (byte)i).Concat("\r\n$-1\r\n"u8.ToArray()).ToArray();

        var set = await connection.ExecuteAsync("SET", key, value, "PX", 10_000);
        var get = await connection.ExecuteAsync("GET", key);
        var missing = await connection.ExecuteAsync("GET", key + ":missing");
        var ttl = await connection.ExecuteAsync("PTTL", key);

        Assert.Equal("OK", set.ToString());
        Assert.Equal(value, get.AsBytes());
        Assert.True(missing.IsNull);
        Assert.InRange(ttl.AsInt64(), 1, 10_000);
    }

    [Fact]
    public async Task ExecuteAsync_ManyConcurrentCallers_EachGetsItsOwnReply()
    {
        await using var connection = await RedisConnection.ConnectAsync(new RedisConnectionOptions { Host = server.Host, Port = server.Port });
        var prefix = Key();
        await Task.WhenAll(Enumerable.Range(0, 2000).Select(i => connection.ExecuteAsync("SET", $"{prefix}:{i}", $"v{i}")));

        var replies = await Task.WhenAll(Enumerable.Range(0, 2000).Select(i => connection.ExecuteAsync("GET", $"{prefix}:{i}")));

        for (var i = 0; i < replies.Length; i++)
        {
            Assert.Equal($"v{i}", replies[i].ToString());
        }
    }

    [Fact]
    public async Task ExecuteAsync_CallerContinuationBlocksUntilItsNextReply_ReaderIsNotHeld()
    {
        await using var connection = await RedisConnection.ConnectAsync(new RedisConnectionOptions { Host = server.Host, Port = server.Port });
        await connection.ExecuteAsync("PING");

        // Each continuation blocks its thread until the next command's reply arrives: were it running on the reader,
        // that reply could never be read. Repeated, so both the one-caller path and a burst of completions are covered.
        var callers = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            for (var i = 0; i < 50; i++)
            {
                await connection.ExecuteAsync("PING").ConfigureAwait(false);
#pragma warning disable xUnit1031 // Blocking is the point: it must not block the reader.
                if (!connection.ExecuteAsync("ECHO", "x").Wait(TimeSpan.FromSeconds(20)))
#pragma warning restore xUnit1031
                {
                    return false;
                }
            }

            return true;
        }));

        Assert.All(await Task.WhenAll(callers), Assert.True);
    }

    [Fact]
    public async Task ExecuteAsync_ServerError_ThrowsRedisServerExceptionWithServerMessage()
    {
        await using var connection = await RedisConnection.ConnectAsync(new RedisConnectionOptions { Host = server.Host, Port = server.Port });
        var key = Key();
        await connection.ExecuteAsync("SET", key, "text");

        var error = await Assert.ThrowsAsync<RedisServerException>(() => connection.ExecuteAsync("INCR", key));

        Assert.StartsWith("ERR value is not an integer", error.Message, StringComparison.Ordinal);
        Assert.Equal("ERR", error.ErrorCode);
        Assert.Equal("PONG", (await connection.ExecuteAsync("PING")).ToString());
    }

    [Fact]
    public async Task ExecuteAsync_Resp3Types_AreParsed()
    {
        await using var connection = await RedisConnection.ConnectAsync(new RedisConnectionOptions { Host = server.Host, Port = server.Port, Protocol = RedisProtocol.Resp3 });
        var key = Key();
        await connection.ExecuteAsync("HSET", key, "f", "v");

        var map = await connection.ExecuteAsync("HGETALL", key);
        var hello = await connection.ExecuteAsync("HELLO", 3);

        Assert.Equal(RedisReplyType.Map, map.Type);
        Assert.Equal(["f", "v"], map.Items.Select(i => i.ToString()));
        Assert.Equal(RedisReplyType.Map, hello.Type);
    }

    [Fact]
    public async Task ExecuteAsync_BlockedCommand_TimesOutNamingCommandEndpointAndInFlight()
    {
        await using var connection = await RedisConnection.ConnectAsync(new RedisConnectionOptions
        {
            Host = server.Host,
            Port = server.Port,
            CommandTimeout = TimeSpan.FromMilliseconds(300),
        });

        // BLPOP blocks far longer than the timeout, so a sweep delayed by a loaded machine still sees it waiting.
        var error = await Assert.ThrowsAsync<TimeoutException>(() => connection.ExecuteAsync("BLPOP", Key(), 30));

        Assert.Contains("BLPOP", error.Message, StringComparison.Ordinal);
        Assert.Contains(server.EndPoint, error.Message, StringComparison.Ordinal);
        Assert.Contains("in flight", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExecuteAsync_Cancelled_ThrowsOperationCanceledAndConnectionStaysUsable()
    {
        // The PING waits behind the BLPOP (3 s) on the server: a long command timeout keeps it from timing out on a
        // loaded machine, and the BLPOP outlasts the 100 ms cancellation by far.
        await using var connection = await RedisConnection.ConnectAsync(new RedisConnectionOptions
        {
            Host = server.Host,
            Port = server.Port,
            CommandTimeout = TimeSpan.FromSeconds(30),
        });
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => connection.ExecuteAsync("BLPOP", [Key(), 3], cancellation.Token));

        Assert.Equal("PONG", (await connection.ExecuteAsync("PING")).ToString());
    }

    [Fact]
    public async Task Subscriber_Publish_DeliversMessageToHandler()
    {
        await using var connection = await RedisConnection.ConnectAsync(new RedisConnectionOptions { Host = server.Host, Port = server.Port });
        var channel = Key();
        var received = new TaskCompletionSource<RedisChannelMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        var pattern = new TaskCompletionSource<RedisChannelMessage>(TaskCreationOptions.RunContinuationsAsynchronously);

        await using var subscription = await connection.Subscriber.SubscribeAsync(channel, m => received.TrySetResult(m));
        await using var patternSubscription = await connection.Subscriber.SubscribePatternAsync(channel[..10] + "*", m => pattern.TrySetResult(m));
        var receivers = await connection.ExecuteAsync("PUBLISH", channel, "hello");

        Assert.Equal(2, receivers.AsInt64());
        var message = await received.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(channel, message.Channel);
        Assert.Equal("hello", Encoding.UTF8.GetString(message.Payload));
        var patternMessage = await pattern.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(channel[..10] + "*", patternMessage.Pattern);
    }

    [Fact]
    public async Task ConnectAsync_NoServer_ThrowsRedisConnectionException()
    {
        var error = await Assert.ThrowsAsync<RedisConnectionException>(() => RedisConnection.ConnectAsync(new RedisConnectionOptions { Host = "127.0.0.1", Port = 1 }));

        Assert.Contains("127.0.0.1:1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExecuteAsync_WhileServerUnreachable_FailsFast()
    {
        var options = new RedisConnectionOptions
        {
            Host = "127.0.0.1",
            Port = 1,
            ConnectTimeout = TimeSpan.FromSeconds(5),
            CommandTimeout = TimeSpan.FromSeconds(5),
            ReconnectMinDelay = TimeSpan.FromSeconds(5),
            ReconnectMaxDelay = TimeSpan.FromSeconds(5),
        };
        await using var connection = RedisConnection.Create(options);
        await Assert.ThrowsAsync<RedisConnectionException>(() => connection.ExecuteAsync("PING"));

        var watch = System.Diagnostics.Stopwatch.StartNew();
        await Assert.ThrowsAsync<RedisConnectionException>(() => connection.ExecuteAsync("PING"));

        // Fast is far below the 5 s timeouts and reconnect delay (typically well under a millisecond); the bound leaves
        // room for a loaded machine.
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(1.5), $"took {watch.ElapsedMilliseconds} ms");
    }
}
