using System.IO.Pipelines;
using HybridCaching.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace HybridCaching.AspNetCore;

// The response side of the fresh context a background refresh runs the pipeline on: no client, status and headers kept
// here, the body in a bounded buffer (past the limit it is dropped and the response is not cacheable). Like a buffering
// server, the response starts only when the app asks or the pipeline ends.
internal sealed class BufferedResponse : Stream, IHttpResponseFeature, IHttpResponseBodyFeature
{
    private readonly BoundedBuffer _capture;
    private readonly Stack<(Func<object, Task> Callback, object State)> _onStarting = new();
    private readonly Stack<(Func<object, Task> Callback, object State)> _onCompleted = new();
    private PipeWriter? _writer;
    private Stream? _body;

    public BufferedResponse(long maximumBodySize) => _capture = new BoundedBuffer(maximumBodySize);

    // The body, or null when it grew past the limit.
    public ReadOnlyMemory<byte>? Captured => _capture.IsCapturing ? _capture.Written : default(ReadOnlyMemory<byte>?);

    public int StatusCode { get; set; } = StatusCodes.Status200OK;

    public string? ReasonPhrase { get; set; }

    public IHeaderDictionary Headers { get; set; } = new HeaderDictionary();

    public Stream Body
    {
        get => _body ?? this;
        set => _body = value;
    }

    public bool HasStarted { get; private set; }

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    Stream IHttpResponseBodyFeature.Stream => this;

    public PipeWriter Writer => _writer ??= PipeWriter.Create(this, new StreamPipeWriterOptions(leaveOpen: true));

    public void OnStarting(Func<object, Task> callback, object state)
    {
        ArgumentNullException.ThrowIfNull(callback);
        if (HasStarted)
        {
            throw new InvalidOperationException("The response has already started.");
        }

        _onStarting.Push((callback, state));
    }

    public void OnCompleted(Func<object, Task> callback, object state)
    {
        ArgumentNullException.ThrowIfNull(callback);
        _onCompleted.Push((callback, state));
    }

    public void DisableBuffering()
    {
    }

    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (HasStarted)
        {
            return;
        }

        // Last registered runs first, as on a server.
        while (_onStarting.TryPop(out var entry))
        {
            await entry.Callback(entry.State).ConfigureAwait(false);
        }

        HasStarted = true;
    }

    public Task SendFileAsync(string path, long offset, long? count, CancellationToken cancellationToken = default)
        => SendFileFallback.SendFileAsync(this, path, offset, count, cancellationToken);

    public async Task CompleteAsync()
    {
        if (_writer is not null)
        {
            await _writer.FlushAsync().ConfigureAwait(false);
        }

        await StartAsync().ConfigureAwait(false);
    }

    // Runs the OnCompleted callbacks (disposals registered with the response among them); a failing one is logged.
    public async Task FireOnCompletedAsync(ILogger logger, string path)
    {
        while (_onCompleted.TryPop(out var entry))
        {
            try
            {
                await entry.Callback(entry.State).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // as on a server: one failing callback must not stop the others
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Log.OnCompletedFailed(logger, path, ex);
            }
        }
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        _capture.Append(buffer.Span);
        return ValueTask.CompletedTask;
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(ReadOnlySpan<byte> buffer) => _capture.Append(buffer);

    public override void Write(byte[] buffer, int offset, int count) => _capture.Append(buffer.AsSpan(offset, count));

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
