using System.IO.Pipelines;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace HybridCaching.AspNetCore;

/// <summary>
/// The response body of the request that runs the pipeline for everyone waiting on the same key: every write
/// goes straight through to the client (nothing is held back) and is also copied into a bounded buffer, for
/// the waiting requests and the cache. The copy stops as soon as the response turns out not shareable (checked
/// when the response starts, when its headers are final) or grows past the limit. Once the leader's own client
/// has gone, failed writes to it are ignored, so the requests waiting on the copy still get the whole response.
/// </summary>
internal sealed class LeaderResponseBody : Stream, IHttpResponseBodyFeature
{
    private readonly HttpResponse _response;
    private readonly IHttpResponseBodyFeature _inner;
    private readonly long _maximumBodySize;
    private readonly CaptureBuffer _capture;
    private readonly CancellationToken _clientAborted;
    private PipeWriter? _writer;
    private bool _checked;
    private bool _clientGone;

    public LeaderResponseBody(HttpResponse response, IHttpResponseBodyFeature inner, long maximumBodySize, CancellationToken clientAborted)
    {
        _response = response;
        _inner = inner;
        _clientAborted = clientAborted;
        _maximumBodySize = maximumBodySize;
        _capture = new CaptureBuffer(maximumBodySize);
    }

    /// <summary>Gets the body written so far, or <see langword="null"/> once the copy has stopped.</summary>
    public ReadOnlyMemory<byte>? Captured => _capture.IsCapturing ? _capture.Written : default(ReadOnlyMemory<byte>?);

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

    public void DisableBuffering() => _inner.DisableBuffering();

    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            await _inner.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception) when (ClientHasGone())
        {
        }

        Check();
    }

    public async Task SendFileAsync(string path, long offset, long? count, CancellationToken cancellationToken = default)
    {
        long length = count ?? (new FileInfo(path).Length - offset);
        if (!_capture.IsCapturing || (_capture.Written.Length + length) > _maximumBodySize)
        {
            _capture.Stop();
            await _inner.SendFileAsync(path, offset, count, cancellationToken).ConfigureAwait(false);
            Check();
            return;
        }

        await SendFileFallback.SendFileAsync(this, path, offset, count, cancellationToken).ConfigureAwait(false);
    }

    public async Task CompleteAsync()
    {
        await FlushWriterAsync().ConfigureAwait(false);
        try
        {
            await _inner.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception) when (ClientHasGone())
        {
        }

        Check();
    }

    /// <summary>Pushes through what the app left unflushed in <see cref="Writer"/> (without starting an empty response).</summary>
    public async Task FlushWriterAsync()
    {
        if (_writer is not null && (!_writer.CanGetUnflushedBytes || _writer.UnflushedBytes > 0))
        {
            await _writer.FlushAsync().ConfigureAwait(false);
        }
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (!_clientGone)
        {
            try
            {
                await _inner.Stream.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception) when (ClientHasGone())
            {
            }
        }

        Check();
        _capture.Append(buffer.Span);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (!_clientGone)
        {
            try
            {
                _inner.Stream.Write(buffer);
            }
            catch (Exception) when (ClientHasGone())
            {
            }
        }

        Check();
        _capture.Append(buffer);
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override async Task FlushAsync(CancellationToken cancellationToken)
    {
        if (!_clientGone)
        {
            try
            {
                await _inner.Stream.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception) when (ClientHasGone())
            {
            }
        }

        Check();
    }

    public override void Flush()
    {
        if (!_clientGone)
        {
            try
            {
                _inner.Stream.Flush();
            }
            catch (Exception) when (ClientHasGone())
            {
            }
        }

        Check();
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    // A write that fails after the leader's client has gone is dropped (and so are later ones), not thrown to the app.
    private bool ClientHasGone()
    {
        if (_clientAborted.IsCancellationRequested)
        {
            _clientGone = true;
        }

        return _clientGone;
    }

    // Once the response has started its headers are final: decide whether it can be shared at all.
    private void Check()
    {
        if (!_checked && _response.HasStarted)
        {
            _checked = true;
            if (!ResponsePolicy.IsShareable(_response, _maximumBodySize))
            {
                _capture.Stop();
            }
        }
    }
}
