using System.Collections.Concurrent;
using System.Threading.Channels;

namespace HybridCaching.Redis.Client;

/// <summary>
/// One open socket to the server: a writer loop that coalesces queued commands into batched writes, and a single
/// reader loop that parses replies and completes the commands in the order they were written. It never reconnects:
/// when anything breaks it fails every pending command and reports the failure once (see
/// <see cref="ManagedConnection"/> for reconnection).
/// </summary>
internal sealed class PhysicalConnection
{
    private const int InitialReadBuffer = 64 * 1024;

    private readonly Stream _stream;
    private readonly string _endPoint;
    private readonly bool _subscriber;
    private readonly Action<RedisReply>? _onMessage;
    private readonly Action<PhysicalConnection, Exception> _onFailed;
    private readonly TimeProvider _time;
    // Not SingleReader: besides the writer loop, Fail() drains the queue from whichever thread detects the failure (the
    // reader loop, a timer, a heartbeat, a cancelled handshake) while the writer loop may still be reading it. The
    // single-reader queue is not safe for that and could hand out a command twice or a null in place of one, leaving a
    // queued command that nothing ever fails.
    private readonly Channel<PendingCommand> _queue = Channel.CreateUnbounded<PendingCommand>(
        new UnboundedChannelOptions { SingleReader = false, AllowSynchronousContinuations = false });

    private readonly ConcurrentQueue<PendingCommand> _inFlight = new();
    private readonly RespWriter _writer;
    private int _failed;
    private long _writeStartedAt;
    private long _lastReadAt;

    public PhysicalConnection(
        Stream stream,
        string endPoint,
        bool subscriber,
        Action<RedisReply>? onMessage,
        Action<PhysicalConnection, Exception> onFailed,
        TimeProvider time)
    {
        _stream = stream;
        _endPoint = endPoint;
        _subscriber = subscriber;
        _onMessage = onMessage;
        _onFailed = onFailed;
        _time = time;
        _writer = new RespWriter(stream);
        _lastReadAt = time.GetTimestamp();
    }

    /// <summary>The negotiated protocol (2 or 3).</summary>
    public int Protocol { get; set; } = 2;

    /// <summary>Whether this connection has failed or been closed.</summary>
    public bool IsFailed => Volatile.Read(ref _failed) != 0;

    /// <summary>How many commands are written and waiting for their reply.</summary>
    public int InFlight => _inFlight.Count;

    /// <summary>When the last bytes were received (a <see cref="TimeProvider"/> timestamp).</summary>
    public long LastReadAt => Volatile.Read(ref _lastReadAt);

    /// <summary>Starts the reader and writer loops.</summary>
    public void Start()
    {
        _ = Task.Run(WriteLoopAsync);
        _ = Task.Run(ReadLoopAsync);
    }

    /// <summary>Queues a command; <see langword="false"/> when the connection has failed.</summary>
    public bool TryEnqueue(PendingCommand command) => !IsFailed && _queue.Writer.TryWrite(command);

    /// <summary>Creates, registers and queues a command, or returns a task failed with a connection error.</summary>
    public Task<RedisReply> ExecuteAsync(string name, RedisArgument[] arguments, CancellationToken cancellationToken)
    {
        var command = new PendingCommand(name, arguments, _time.GetTimestamp());
        command.Register(cancellationToken);
        if (!TryEnqueue(command))
        {
            command.Fail(new RedisConnectionException($"The connection to {_endPoint} is closed."));
        }

        return command.Task;
    }

    /// <summary>
    /// Fails written commands that have waited longer than <paramref name="timeout"/> for their reply; returns
    /// <see langword="false"/> when the writer itself has been stuck that long (the connection is then dead).
    /// </summary>
    public bool SweepTimeouts(TimeSpan timeout)
    {
        var now = _time.GetTimestamp();
        var writeStartedAt = Volatile.Read(ref _writeStartedAt);
        if (writeStartedAt != 0 && _time.GetElapsedTime(writeStartedAt, now) > timeout)
        {
            return false;
        }

        foreach (var command in _inFlight)
        {
            if (!command.Task.IsCompleted && _time.GetElapsedTime(command.StartedAt, now) > timeout)
            {
                command.Fail(new TimeoutException(
                    $"Timed out after {(long)timeout.TotalMilliseconds} ms waiting for the reply to {command.Name} from {_endPoint} ({_inFlight.Count} commands in flight)."));
            }
        }

        return true;
    }

    /// <summary>Closes the socket and fails every pending command; reports the failure once.</summary>
    public void Fail(Exception reason)
    {
        if (Interlocked.Exchange(ref _failed, 1) != 0)
        {
            return;
        }

        _queue.Writer.TryComplete();
        try
        {
            _stream.Dispose();
        }
        catch (Exception)
        {
            // Whatever closing throws (an IOException from a broken socket, or anything else from a TLS stream), the
            // connection is failed all the same: the pending commands must still be failed and the failure reported, or
            // their callers would wait for replies that never come and no reconnect would start. Nothing more to release.
        }

        DrainPending(reason);
        _onFailed(this, reason);
    }

    private void DrainPending(Exception reason)
    {
        while (_queue.Reader.TryRead(out var queued))
        {
            queued.Fail(ConnectionLost(queued, reason));
        }

        while (_inFlight.TryDequeue(out var written))
        {
            written.Fail(ConnectionLost(written, reason));
        }
    }

    private RedisConnectionException ConnectionLost(PendingCommand command, Exception reason)
        => reason is RedisConnectionException connectionException && connectionException.InnerException is null && reason.Message.Contains(_endPoint, StringComparison.Ordinal)
            ? new RedisConnectionException($"{reason.Message} ({command.Name} did not complete).")
            : new RedisConnectionException($"The connection to {_endPoint} was lost before {command.Name} completed: {reason.Message}", reason);

    private async Task WriteLoopAsync()
    {
        var reader = _queue.Reader;
        try
        {
            while (await reader.WaitToReadAsync().ConfigureAwait(false))
            {
                Volatile.Write(ref _writeStartedAt, _time.GetTimestamp());
                while (reader.TryRead(out var command))
                {
                    if (command.Task.IsCompleted)
                    {
                        // Cancelled or timed out before it was written: no reply will be expected.
                        continue;
                    }

                    _inFlight.Enqueue(command);
                    if (IsFailed)
                    {
                        DrainPending(new RedisConnectionException($"The connection to {_endPoint} is closed."));
                        return;
                    }

                    await _writer.WriteCommandAsync(command.Name, command.Arguments, CancellationToken.None).ConfigureAwait(false);
                    if (_writer.Buffered >= RespWriter.BatchBytes)
                    {
                        await _writer.FlushAsync(CancellationToken.None).ConfigureAwait(false);
                    }
                }

                await _writer.FlushAsync(CancellationToken.None).ConfigureAwait(false);
                Volatile.Write(ref _writeStartedAt, 0);
            }
        }
        catch (Exception ex)
        {
            Fail(ex);
        }
    }

    private async Task ReadLoopAsync()
    {
        var buffer = new byte[InitialReadBuffer];
        var start = 0;
        var end = 0;
        var needed = 1;
        try
        {
            while (true)
            {
                while (end - start >= needed)
                {
                    if (!RespReader.TryParse(buffer.AsSpan(start, end - start), out var reply, out var consumed, out var more))
                    {
                        needed = more;
                        break;
                    }

                    start += consumed;
                    needed = 1;
                    Dispatch(reply);
                }

                if (start == end)
                {
                    start = end = 0;
                    if (buffer.Length > 4 * InitialReadBuffer && needed <= InitialReadBuffer)
                    {
                        buffer = new byte[InitialReadBuffer];
                    }
                }

                var required = Math.Max(needed, end - start + 1);
                if (required > buffer.Length)
                {
                    // A reply larger than the buffer (a big value): grow once to the size it needs.
                    var grown = new byte[Math.Max(required, Math.Min(buffer.Length * 2, RespReader.MaxBulkLength + 64))];
                    Buffer.BlockCopy(buffer, start, grown, 0, end - start);
                    buffer = grown;
                    end -= start;
                    start = 0;
                }
                else if (start + required > buffer.Length || end == buffer.Length)
                {
                    Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
                    end -= start;
                    start = 0;
                }

                var read = await _stream.ReadAsync(buffer.AsMemory(end)).ConfigureAwait(false);
                if (read == 0)
                {
                    throw new RedisConnectionException($"The server at {_endPoint} closed the connection.");
                }

                end += read;
                Volatile.Write(ref _lastReadAt, _time.GetTimestamp());
            }
        }
        catch (Exception ex)
        {
            Fail(ex);
        }
    }

    private void Dispatch(in RedisReply reply)
    {
        if (reply.Type is RedisReplyType.Push or RedisReplyType.Array && _subscriber
            && (reply.StartsWith("message"u8) || reply.StartsWith("pmessage"u8) || reply.StartsWith("smessage"u8)))
        {
            _onMessage?.Invoke(reply);
            return;
        }

        if (reply.Type == RedisReplyType.Push && !_subscriber)
        {
            // Out-of-band data (e.g. client-side caching invalidations) that no command waits for.
            return;
        }

        if (!_inFlight.TryDequeue(out var command))
        {
            throw new RedisProtocolException($"The server at {_endPoint} sent a reply no command was waiting for.");
        }

        command.Complete(reply);
    }
}
