using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace HybridCaching.Testing.Redis;

/// <summary>
/// A loopback TCP proxy to a Redis server that accepts connections and holds them, unanswered, until <see cref="Open"/>:
/// a multiplexer connecting through it stays in its first connection attempt until then (never opened: an endpoint that
/// accepts and never answers). Disposing it closes every connection.
/// </summary>
public sealed class HeldRedisProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _targetPort;
    private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _pipes = [];
    private readonly Task _accepting;

    /// <summary>Starts listening; connections are held until <see cref="Open"/>.</summary>
    /// <param name="targetPort">The loopback port of the server to forward to once open.</param>
    public HeldRedisProxy(int targetPort)
    {
        _targetPort = targetPort;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    /// <summary><c>127.0.0.1:port</c> of the proxy.</summary>
    public string EndPoint => "127.0.0.1:" + ((IPEndPoint)_listener.LocalEndpoint).Port.ToString(CultureInfo.InvariantCulture);

    /// <summary>Lets held and later connections through to the server.</summary>
    public void Open() => _open.TrySetResult();

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Stop();
        await _accepting.ConfigureAwait(false);
        Task[] pipes;
        lock (_pipes)
        {
            pipes = [.. _pipes];
        }

        await Task.WhenAll(pipes).ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (true)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException || _stop.IsCancellationRequested)
            {
                return; // (stopped between two accepts: "not listening")
            }

            lock (_pipes)
            {
                _pipes.Add(PipeAsync(client));
            }
        }
    }

    private async Task PipeAsync(TcpClient client)
    {
        using (client)
        using (var server = new TcpClient())
        {
            try
            {
                await _open.Task.WaitAsync(_stop.Token).ConfigureAwait(false);
                await server.ConnectAsync(IPAddress.Loopback, _targetPort, _stop.Token).ConfigureAwait(false);
                var up = CopyAsync(client.GetStream(), server.GetStream());
                var down = CopyAsync(server.GetStream(), client.GetStream());
                await Task.WhenAny(up, down).ConfigureAwait(false);
                client.Close();
                server.Close();
                await Task.WhenAll(up, down).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or IOException or ObjectDisposedException)
            {
                // Stopped, or a side closed: the other side is closed with it.
            }
        }
    }

    private async Task CopyAsync(Stream from, Stream to)
    {
        try
        {
            await from.CopyToAsync(to, _stop.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or IOException or ObjectDisposedException)
        {
            // Either side closed.
        }
    }
}
