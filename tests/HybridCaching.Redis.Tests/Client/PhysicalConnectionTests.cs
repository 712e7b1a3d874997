using HybridCaching.Redis.Client;

namespace HybridCaching.Redis.Tests.Client;

/// <summary><see cref="PhysicalConnection"/> over a fake stream whose closing throws.</summary>
public sealed class PhysicalConnectionTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Fail_ClosingTheStreamThrows_StillFailsQueuedCommandsAndReportsOnce()
    {
        var stream = new ThrowingOnCloseStream();
        var reported = 0;
        var connection = new PhysicalConnection(stream, "fake:6379", subscriber: false, onMessage: null, (_, _) => Interlocked.Increment(ref reported), TimeProvider.System);

        // Not started: the command stays queued, so Fail is what must complete it.
        var queued = connection.ExecuteAsync("GET", ["k"], CancellationToken.None);
        connection.Fail(new RedisConnectionException("The connection to fake:6379 was disposed."));
        connection.Fail(new RedisConnectionException("The connection to fake:6379 was disposed again."));

        var error = await Assert.ThrowsAsync<RedisConnectionException>(() => queued.WaitAsync(Patience));
        Assert.Contains("GET", error.Message, StringComparison.Ordinal);
        Assert.True(stream.CloseAttempted);
        Assert.True(connection.IsFailed);
        Assert.Equal(1, Volatile.Read(ref reported));
    }

    [Fact]
    public async Task ReadLoop_ServerClosesAndClosingTheStreamThrows_CommandInFlightFailsAndFailureIsReported()
    {
        var stream = new ThrowingOnCloseStream();
        var reported = new TaskCompletionSource<Exception>(TaskCreationOptions.RunContinuationsAsynchronously);
        var connection = new PhysicalConnection(stream, "fake:6379", subscriber: false, onMessage: null, (_, reason) => reported.TrySetResult(reason), TimeProvider.System);
        connection.Start();

        var ping = connection.ExecuteAsync("PING", [], CancellationToken.None);
        await stream.Written.WaitAsync(Patience);
        stream.EndOfStream();

        var error = await Assert.ThrowsAsync<RedisConnectionException>(() => ping.WaitAsync(Patience));
        Assert.Contains("closed the connection", error.Message, StringComparison.Ordinal);
        Assert.Contains("closed the connection", (await reported.Task.WaitAsync(Patience)).Message, StringComparison.Ordinal);
        Assert.True(stream.CloseAttempted);
        Assert.Equal(0, connection.InFlight);
    }

    [Fact]
    public async Task Fail_WhileTheWriterLoopDrainsTheQueue_FailsEveryQueuedCommand()
    {
        // The writer is held in a flush while thousands of commands queue up; closing the stream releases it, so the
        // writer loop and Fail() both take commands off the queue at the same moment. Every command must still fail.
        for (var round = 0; round < 20; round++)
        {
            var stream = new GatedStream();
            var reported = 0;
            var connection = new PhysicalConnection(stream, "fake:6379", subscriber: false, onMessage: null, (_, _) => Interlocked.Increment(ref reported), TimeProvider.System);
            connection.Start();

            var big = new string('v', 20_000);
            var commands = new List<Task<RedisReply>> { connection.ExecuteAsync("SET", ["k", big], CancellationToken.None) };
            await stream.WriteStarted.WaitAsync(Patience);
            for (var i = 0; i < 50_000; i++)
            {
                commands.Add(connection.ExecuteAsync("GET", ["k"], CancellationToken.None));
            }

            connection.Fail(new RedisConnectionException("The connection to fake:6379 was disposed."));

            var all = Task.WhenAll(commands);
            await Assert.ThrowsAnyAsync<Exception>(() => all.WaitAsync(Patience));
            Assert.All(commands, command => Assert.IsType<RedisConnectionException>(command.Exception?.InnerException));
            Assert.Equal(1, Volatile.Read(ref reported));
            Assert.Equal(0, connection.InFlight);
        }
    }

    /// <summary>Blocks the first write until the stream is closed, then accepts every write; reads never complete.</summary>
    private sealed class GatedStream : Stream
    {
        private readonly TaskCompletionSource _writeStarted = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource<int> _read = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task WriteStarted => _writeStarted.Task;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => new(_read.Task);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            _writeStarted.TrySetResult();
            return new ValueTask(_closed.Task);
        }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            // Lets the blocked flush finish successfully, so the writer loop goes on reading the queue while Fail drains it.
            _closed.TrySetResult();
            base.Dispose(disposing);
        }
    }

    /// <summary>Accepts writes, serves reads from the test, and throws something other than an IOException when closed.</summary>
    private sealed class ThrowingOnCloseStream : Stream
    {
        private readonly TaskCompletionSource _written = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource<int> _read = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _closeAttempted;

        public Task Written => _written.Task;

        public bool CloseAttempted => Volatile.Read(ref _closeAttempted) != 0;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        /// <summary>The server closes its end: the pending read returns 0.</summary>
        public void EndOfStream() => _read.TrySetResult(0);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => new(_read.Task);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            _written.TrySetResult();
            return ValueTask.CompletedTask;
        }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            Volatile.Write(ref _closeAttempted, 1);
            throw new InvalidOperationException("Closing failed.");
        }
    }
}
