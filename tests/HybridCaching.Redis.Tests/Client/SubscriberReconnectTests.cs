using System.Net;
using System.Net.Sockets;
using System.Text;
using HybridCaching.Redis.Client;

namespace HybridCaching.Redis.Tests.Client;

/// <summary>The subscriber against a fake server that holds the renewal of the subscriptions after a reconnect.</summary>
public sealed class SubscriberReconnectTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Remove_WhileAReconnectRenewsTheSubscription_UnsubscribesOnTheNewConnection()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        using var stop = new CancellationTokenSource();
        var server = new FakeServer();
        var acceptLoop = Task.Run(async () =>
        {
            var handlers = new List<Task>();
            try
            {
                while (true)
                {
                    var socket = await listener.AcceptSocketAsync(stop.Token);
                    handlers.Add(Task.Run(() => server.ServeAsync(socket, stop.Token)));
                }
            }
            catch (OperationCanceledException)
            {
                // The test is over.
            }

            await Task.WhenAll(handlers);
        });

        try
        {
            // RESP2 without AUTH/SETNAME/SELECT: no handshake, so the subscriber's first command is its SUBSCRIBE.
            await using var connection = RedisConnection.Create(new RedisConnectionOptions
            {
                Host = "127.0.0.1",
                Port = port,
                Protocol = RedisProtocol.Resp2,
                CommandTimeout = Patience,
                HeartbeatInterval = TimeSpan.FromMinutes(5),
                ReconnectMinDelay = TimeSpan.FromMilliseconds(10),
                ReconnectMaxDelay = TimeSpan.FromMilliseconds(50),
            });
            var subscriber = connection.Subscriber;
            await WaitUntilAsync(() => subscriber.IsConnected);
            var subscription = await subscriber.SubscribeAsync("chan", _ => { }).WaitAsync(Patience);

            // The server drops the connection; the reconnect renews the subscription, and the server holds its answer.
            server.DropFirst.TrySetResult();
            await server.RenewalReceived.Task.WaitAsync(Patience);
            Assert.False(subscriber.IsConnected);

            // Removed after the renewal was sent but before the reconnect completed.
            await subscription.DisposeAsync();
            server.ReleaseRenewal.TrySetResult();

            await server.Unsubscribed.Task.WaitAsync(TimeSpan.FromSeconds(10));
            await WaitUntilAsync(() => subscriber.IsConnected);
        }
        finally
        {
            server.DropFirst.TrySetResult();
            server.ReleaseRenewal.TrySetResult();
            await stop.CancelAsync();
            await acceptLoop.WaitAsync(Patience);
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(deadline.Elapsed < Patience, "condition not met within 30 s");
            await Task.Delay(10);
        }
    }

    /// <summary>
    /// Answers SUBSCRIBE and UNSUBSCRIBE. The first connection that subscribes is dropped on request; on the second, the
    /// answer to its SUBSCRIBE waits for the test.
    /// </summary>
    private sealed class FakeServer
    {
        private int _subscribedConnections;

        public TaskCompletionSource DropFirst { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource RenewalReceived { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource ReleaseRenewal { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Unsubscribed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async Task ServeAsync(Socket socket, CancellationToken cancellationToken)
        {
            using var owned = socket;
            await using var stream = new NetworkStream(socket, ownsSocket: false);
            var received = new List<byte>();
            var buffer = new byte[4096];
            var role = 0;
            try
            {
                while (true)
                {
                    var read = await stream.ReadAsync(buffer, cancellationToken);
                    if (read == 0)
                    {
                        return;
                    }

                    received.AddRange(buffer.AsSpan(0, read));
                    while (TryTakeCommand(received, out var command))
                    {
                        switch (command[0].ToUpperInvariant())
                        {
                            case "SUBSCRIBE":
                                if (role == 0)
                                {
                                    role = Interlocked.Increment(ref _subscribedConnections);
                                }

                                if (role == 2)
                                {
                                    RenewalReceived.TrySetResult();
                                    await ReleaseRenewal.Task.WaitAsync(cancellationToken);
                                }

                                await ReplyAsync(stream, "subscribe", command[1], 1, cancellationToken);
                                if (role == 1)
                                {
                                    await DropFirst.Task.WaitAsync(cancellationToken);
                                    socket.Close(0);
                                    return;
                                }

                                break;
                            case "UNSUBSCRIBE":
                                await ReplyAsync(stream, "unsubscribe", command[1], 0, cancellationToken);
                                if (role == 2)
                                {
                                    Unsubscribed.TrySetResult();
                                }

                                break;
                            default:
                                await stream.WriteAsync("+PONG\r\n"u8.ToArray(), cancellationToken);
                                break;
                        }
                    }
                }
            }
            catch (OperationCanceledException)
            {
                // The test is over.
            }
            catch (IOException)
            {
                // The client went away.
            }
        }

        private static async Task ReplyAsync(Stream stream, string kind, string channel, int count, CancellationToken cancellationToken)
        {
            var reply = $"*3\r\n${kind.Length}\r\n{kind}\r\n${Encoding.UTF8.GetByteCount(channel)}\r\n{channel}\r\n:{count}\r\n";
            await stream.WriteAsync(Encoding.UTF8.GetBytes(reply), cancellationToken);
        }

        /// <summary>Takes one complete command (an array of bulk strings) off the front of the buffer.</summary>
        private static bool TryTakeCommand(List<byte> received, out string[] command)
        {
            command = [];
            var text = Encoding.Latin1.GetString([.. received]);
            if (!text.StartsWith('*'))
            {
                return false;
            }

            var position = text.IndexOf("\r\n", StringComparison.Ordinal);
            if (position < 0)
            {
                return false;
            }

            var parts = new string[int.Parse(text[1..position], System.Globalization.CultureInfo.InvariantCulture)];
            position += 2;
            for (var i = 0; i < parts.Length; i++)
            {
                var lineEnd = text.IndexOf("\r\n", position, StringComparison.Ordinal);
                if (lineEnd < 0)
                {
                    return false;
                }

                var length = int.Parse(text[(position + 1)..lineEnd], System.Globalization.CultureInfo.InvariantCulture);
                position = lineEnd + 2;
                if (text.Length < position + length + 2)
                {
                    return false;
                }

                parts[i] = text.Substring(position, length);
                position += length + 2;
            }

            received.RemoveRange(0, position);
            command = parts;
            return true;
        }
    }
}
