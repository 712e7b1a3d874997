using System.Net;
using System.Net.Sockets;
using System.Text;
using HybridCaching.Redis.Client;

namespace HybridCaching.Redis.Tests.Client;

/// <summary>The client against a fake server that answers with bytes that are not valid RESP.</summary>
public sealed class MalformedReplyTests
{
    [Fact]
    public async Task ExecuteAsync_ServerSendsALineThatNeverEnds_FailsWithProtocolErrorAndClosesTheConnection()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        using var stop = new CancellationTokenSource();
        var server = Task.Run(async () =>
        {
            using var socket = await listener.AcceptSocketAsync(stop.Token);
            await using var stream = new NetworkStream(socket, ownsSocket: false);

            // Wait for the command, then answer with a simple string that never ends: far more than the line limit
            // (and than the client's first read buffer), no CRLF, and the socket left open.
            var request = new byte[256];
            Assert.True(await stream.ReadAsync(request, stop.Token) > 0);
            var chunk = Encoding.ASCII.GetBytes(new string('a', 16 * 1024));
            chunk[0] = (byte)'+';
            try
            {
                for (var sent = 0; sent < 16 * RespReader.MaxLineLength; sent += chunk.Length)
                {
                    await stream.WriteAsync(chunk, stop.Token);
                    chunk.AsSpan().Fill((byte)'a');
                }

                // The client closes the connection: reading ends (or is reset because the client left bytes unread).
                while (await stream.ReadAsync(request, stop.Token) > 0)
                {
                }
            }
            catch (IOException)
            {
                // Reset by the client while writing or reading: closed too.
            }
        });

        try
        {
            await AssertFailsWithProtocolErrorAsync(port, server);
        }
        finally
        {
            await stop.CancelAsync();
        }
    }

    private static async Task AssertFailsWithProtocolErrorAsync(int port, Task server)
    {
        // RESP2 without AUTH/SETNAME/SELECT: no handshake, so the first command is the one the server answers.
        await using var connection = await RedisConnection.ConnectAsync(new RedisConnectionOptions
        {
            Host = "127.0.0.1",
            Port = port,
            Protocol = RedisProtocol.Resp2,
            CommandTimeout = TimeSpan.FromSeconds(10),
            HeartbeatInterval = TimeSpan.FromMinutes(5),
        });

        var error = await Assert.ThrowsAsync<RedisConnectionException>(() => connection.ExecuteAsync("PING").WaitAsync(TimeSpan.FromSeconds(60)));

        var protocolError = Assert.IsType<RedisProtocolException>(error.InnerException);
        Assert.Contains("line", protocolError.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("PING", error.Message, StringComparison.Ordinal);

        // Closed by the failure itself, not by disposing the connection.
        await server.WaitAsync(TimeSpan.FromSeconds(60));
    }
}
