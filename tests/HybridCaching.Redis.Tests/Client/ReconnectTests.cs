using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using HybridCaching.Redis.Client;

namespace HybridCaching.Redis.Tests.Client;

/// <summary>Reconnect behaviour against a fake server that accepts connections and drops them soon after.</summary>
public sealed class ReconnectTests
{
    [Fact]
    public async Task Reconnect_ServerDropsEveryConnectionSoonAfterAccept_KeepsTryingWithBackOff()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var accepted = new List<TimeSpan>();
        var clock = Stopwatch.StartNew();
        using var stop = new CancellationTokenSource();
        var acceptLoop = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                using var socket = await listener.AcceptSocketAsync(stop.Token);
                lock (accepted)
                {
                    accepted.Add(clock.Elapsed);
                }

                // Dropped once the client has surely published the connection (not during the handshake).
                await Task.Delay(30, stop.Token);
                socket.Close(0);
            }
        });

        // RESP2 without AUTH/SETNAME/SELECT sends no handshake: the connection opens, then breaks 30 ms later.
        await using (var connection = RedisConnection.Create(new RedisConnectionOptions
        {
            Host = "127.0.0.1",
            Port = port,
            Protocol = RedisProtocol.Resp2,
            ReconnectMinDelay = TimeSpan.FromMilliseconds(20),
            ReconnectMaxDelay = TimeSpan.FromMilliseconds(200),
        }))
        {
            // It keeps trying...
            var deadline = Stopwatch.StartNew();
            while (Count() < 16)
            {
                Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(20), $"only {Count()} connection attempts within 20 s: reconnecting stopped");
                await Task.Delay(10);
            }
        }

        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => acceptLoop);

        // ...and backs off between attempts: a connection that broke before it had been open for ReconnectMaxDelay
        // does not restart the back-off at "no delay", so besides the 30 ms each connection lives, the gaps hold jittered
        // delays of at least 10, 20, 40, 80, then 100 ms (half of 20 ms × 2ⁿ capped at 200 ms): 15 × 30 + 1250 = 1700 ms.
        // The assertion asks for 1500 ms, leaving room for timers that fire a little early (load only adds time).
        TimeSpan[] times;
        lock (accepted)
        {
            times = [.. accepted];
        }

        var span = times[15] - times[0];
        Assert.True(
            span >= TimeSpan.FromMilliseconds(1500),
            $"16 attempts within {span.TotalMilliseconds:F0} ms (at least 1500 ms with back-off): {string.Join(", ", times.Select(t => (long)t.TotalMilliseconds))}");

        int Count()
        {
            lock (accepted)
            {
                return accepted.Count;
            }
        }
    }
}
