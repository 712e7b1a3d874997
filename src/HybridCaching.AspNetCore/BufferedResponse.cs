using HybridCaching.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace HybridCaching.AspNetCore;

// The response side of the fresh context a background refresh runs the pipeline on: no client, status and headers kept
// here, the body in a bounded buffer (past the limit it is dropped and the response is not cacheable). Like a buffering
// server, the response starts only when the app asks or the pipeline ends.
internal sealed class BufferedResponse : StreamResponseBodyFeature, IHttpResponseFeature
{
    private readonly Stack<(Func<object, Task> Callback, object State)> _onStarting = new();
    private readonly Stack<(Func<object, Task> Callback, object State)> _onCompleted = new();

    public BufferedResponse(long maximumBodySize)
        : base(new CaptureStream(maximumBodySize))
        => Body = Stream;

    // The body, or null when it grew past the limit.
    public ReadOnlyMemory<byte>? Captured => ((CaptureStream)Stream).Captured;

    public int StatusCode { get; set; } = StatusCodes.Status200OK;

    public string? ReasonPhrase { get; set; }

    public IHeaderDictionary Headers { get; set; } = new HeaderDictionary();

    public Stream Body { get; set; }

    public bool HasStarted { get; private set; }

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

    public override async Task StartAsync(CancellationToken cancellationToken = default)
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

    public override Task SendFileAsync(string path, long offset, long? count, CancellationToken cancellationToken = default)
        => SendFileFallback.SendFileAsync(Stream, path, offset, count, cancellationToken);

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

    private sealed class CaptureStream(long maximumBodySize) : WriteOnlyStream
    {
        private readonly BoundedBuffer _capture = new(maximumBodySize);

        public ReadOnlyMemory<byte>? Captured => _capture.IsCapturing ? _capture.Written : default(ReadOnlyMemory<byte>?);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            _capture.Append(buffer.Span);
            return ValueTask.CompletedTask;
        }

        public override void Write(ReadOnlySpan<byte> buffer) => _capture.Append(buffer);

        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public override void Flush()
        {
        }
    }
}
