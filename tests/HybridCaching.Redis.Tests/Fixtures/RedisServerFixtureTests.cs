using System.Net.Sockets;
using System.Text;
using HybridCaching.Testing.Redis;

namespace HybridCaching.Redis.Tests.Fixtures;

/// <summary>The standalone fixture's process control: pause/resume (hung Redis) and clean disposal.</summary>
public sealed class RedisServerFixtureTests
{
    [Fact]
    public async Task PauseAsync_OpenConnection_NoReplyUntilResumed()
    {
        await using var server = await RedisServerFixture.StartAsync(new RedisServerOptions { Private = true });
        using var client = new TcpClient();
        await client.ConnectAsync(server.Host, server.Port);
        var stream = client.GetStream();

        await server.PauseAsync();
        await stream.WriteAsync(Encoding.ASCII.GetBytes("PING\r\n"));
        var buffer = new byte[16];
        var read = stream.ReadAsync(buffer).AsTask();
        var first = await Task.WhenAny(read, Task.Delay(TimeSpan.FromSeconds(1)));

        Assert.NotSame(read, first);
        Assert.True(server.IsRunning);
        using (var late = new TcpClient())
        {
            // The kernel still accepts connections to a stopped server.
            await late.ConnectAsync(server.Host, server.Port).WaitAsync(TimeSpan.FromSeconds(10));
        }

        await server.ResumeAsync();
        var count = await read.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("+PONG\r\n", Encoding.ASCII.GetString(buffer, 0, count));
    }

    [Fact]
    public async Task DisposeAsync_PausedServer_ProcessGoneAndFolderDeleted()
    {
        var server = await RedisServerFixture.StartAsync(new RedisServerOptions { Private = true });
        var pid = server.ProcessId!.Value;
        await server.PauseAsync();

        await server.DisposeAsync();

        Assert.False(server.IsRunning);
        Assert.False(Directory.Exists(server.WorkingDirectory));
        Assert.False(File.Exists($"/proc/{pid}/stat") && !File.ReadAllText($"/proc/{pid}/stat").Contains(" Z ", StringComparison.Ordinal));
    }

    [Fact]
    public void HashSlot_KeysAndHashTags_MatchRedisSlots()
    {
        // Reference values from the Redis Cluster specification and CLUSTER KEYSLOT.
        Assert.Equal(12739, RedisHashSlot.Of("123456789"));
        Assert.Equal(RedisHashSlot.Of("user1000"), RedisHashSlot.Of("{user1000}.following"));
        Assert.NotEqual(RedisHashSlot.Of("{}x"), RedisHashSlot.Of("x"));
        for (var slot = 0; slot < RedisHashSlot.Count; slot += 997)
        {
            Assert.Equal(slot, RedisHashSlot.Of(RedisHashSlot.KeyIn(slot, ":suffix")));
        }
    }
}
