using System.IO.Pipelines;
using System.Runtime.ExceptionServices;
using HybridCaching.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace HybridCaching.AspNetCore;

// The response body of the request that runs the pipeline for everyone waiting on the same key. While the response can
// be shared, each write is copied into a bounded buffer (for the waiters and the cache) and returns at once; a pump
// sends that buffer on to the leader's own client at whatever pace it reads. So the pipeline, and every waiter, runs at
// the origin's speed, not at the leader's client's.
// The copy stops as soon as the response turns out not shareable (checked when it starts, its headers final) or grows
// past the limit. From then on writes go through to the client, after what the pump still holds, and wait for it, as
// without a cache. Memory stays bounded by the limit: the client is sent the bytes from the copy itself.
// Once the leader's own client has gone, writes to it are dropped, so the waiters still get the whole response. A failed
// send the app can no longer see (its write had returned) is kept and returned by DrainAsync.
internal sealed class LeaderResponseBody : Stream, IHttpResponseBodyFeature
{
    private readonly HttpResponse _response;
    private readonly IHttpResponseBodyFeature _inner;
    private readonly long _maximumBodySize;
    private readonly BoundedBuffer _capture;
    private readonly CancellationToken _clientAborted;

    // Guards the copy, how much of it the client was handed, and the pump's state.
    private readonly object _gate = new();

    // Held by whoever talks to the client (the pump, a write that goes through, the drain): one at a time, in order.
    private readonly SemaphoreSlim _clientLock = new(1, 1);
    private PipeWriter? _writer;
    private bool _checked;
    private volatile bool _clientGone;
    private int _sent;
    private ReadOnlyMemory<byte> _backlog;
    private bool _pumping;
    private bool _flushPending;
    private bool _completePending;
    private Task _pump = Task.CompletedTask;
    private ExceptionDispatchInfo? _failure;

    public LeaderResponseBody(HttpResponse response, IHttpResponseBodyFeature inner, long maximumBodySize, CancellationToken clientAborted)
    {
        _response = response;
        _inner = inner;
        _clientAborted = clientAborted;
        _maximumBodySize = maximumBodySize;
        _capture = new BoundedBuffer(maximumBodySize);
    }

    private enum PumpStep
    {
        Send,
        Flush,
        Complete,
        Stop,
    }

    // The body written so far, or null once the copy has stopped.
    public ReadOnlyMemory<byte>? Captured
    {
        get
        {
            lock (_gate)
            {
                return _capture.IsCapturing ? _capture.Written : default(ReadOnlyMemory<byte>?);
            }
        }
    }

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
        await EnsureStartedAsync(cancellationToken).ConfigureAwait(false);
        long length = count ?? (new FileInfo(path).Length - offset);
        bool copy;
        lock (_gate)
        {
            copy = _capture.IsCapturing && _capture.Written.Length + length <= _maximumBodySize;
            if (!copy)
            {
                StopCapture();
            }
        }

        if (copy)
        {
            await SendFileFallback.SendFileAsync(this, path, offset, count, cancellationToken).ConfigureAwait(false);
            return;
        }

        await _clientLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await SendHeldAsync().ConfigureAwait(false);
            await _inner.SendFileAsync(path, offset, count, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _clientLock.Release();
        }
    }

    public async Task CompleteAsync()
    {
        await FlushWriterAsync().ConfigureAwait(false);
        await EnsureStartedAsync(CancellationToken.None).ConfigureAwait(false);
        if (RequestFromPump(complete: true))
        {
            return;
        }

        await _clientLock.WaitAsync().ConfigureAwait(false);
        try
        {
            await SendHeldAsync().ConfigureAwait(false);
            try
            {
                await _inner.CompleteAsync().ConfigureAwait(false);
            }
            catch (Exception) when (ClientHasGone())
            {
            }
        }
        finally
        {
            _clientLock.Release();
        }
    }

    // Pushes through what the app left unflushed in Writer (without starting an empty response).
    public async Task FlushWriterAsync()
    {
        if (_writer is not null && (!_writer.CanGetUnflushedBytes || _writer.UnflushedBytes > 0))
        {
            await _writer.FlushAsync().ConfigureAwait(false);
        }
    }

    // Waits until the leader's client has been sent everything written (or has gone), once the pipeline has finished:
    // a failure sending to the client after the app's write had returned, if any.
    public async Task<Exception?> DrainAsync()
    {
        await RunPumpAsync().ConfigureAwait(false);

        // The pump cannot fail (it keeps failures), and has nothing left to send: this only observes it.
        await Volatile.Read(ref _pump).ConfigureAwait(false);
        return _failure?.SourceException;
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await EnsureStartedAsync(cancellationToken).ConfigureAwait(false);
        if (!TryHold(buffer.Span))
        {
            await ThroughAsync(buffer, write: true, cancellationToken).ConfigureAwait(false);
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (_response.HasStarted)
        {
            Check();
            if (TryHold(buffer))
            {
                return;
            }
        }

        // Synchronous I/O the app asked for (AllowSynchronousIO): the first write, which starts the response, and
        // every write once the copy has stopped, go through to the client here and wait for it.
        Through(buffer, write: true);
        Check();
        lock (_gate)
        {
            if (_capture.IsCapturing && !_capture.TryAppend(buffer))
            {
                StopCapture();
            }
            else
            {
                _sent = _capture.Written.Length;
            }
        }
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override async Task FlushAsync(CancellationToken cancellationToken)
    {
        await EnsureStartedAsync(cancellationToken).ConfigureAwait(false);
        if (!RequestFromPump(complete: false))
        {
            await ThroughAsync(default, write: false, cancellationToken).ConfigureAwait(false);
        }
    }

    public override void Flush()
    {
        if (!_response.HasStarted || !RequestFromPump(complete: false))
        {
            Through(default, write: false);
            Check();
        }
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    // Once the copy has stopped: sends what the pump still holds, then writes (after throwing a failure kept from an
    // earlier send) or flushes, as without a cache; dropped once the client has gone.
    private async Task ThroughAsync(ReadOnlyMemory<byte> data, bool write, CancellationToken cancellationToken)
    {
        await _clientLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await SendHeldAsync().ConfigureAwait(false);
            if (write)
            {
                _failure?.Throw();
            }

            await ForwardAsync(write ? PumpStep.Send : PumpStep.Flush, data, keep: false, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _clientLock.Release();
        }
    }

    // The synchronous twin of ThroughAsync.
    private void Through(ReadOnlySpan<byte> data, bool write)
    {
        _clientLock.Wait(CancellationToken.None);
        try
        {
            SendHeld();
            if (write)
            {
                _failure?.Throw();
            }

            Forward(data, write, keep: false);
        }
        finally
        {
            _clientLock.Release();
        }
    }

    // A write that fails after the leader's client has gone is dropped (and so are later ones), not thrown to the app.
    private bool ClientHasGone()
    {
        if (_clientAborted.IsCancellationRequested)
        {
            _clientGone = true;
        }

        return _clientGone;
    }

    private async ValueTask EnsureStartedAsync(CancellationToken cancellationToken)
    {
        if (!_response.HasStarted)
        {
            await StartAsync(cancellationToken).ConfigureAwait(false);
        }
        else
        {
            Check();
        }
    }

    // Once the response has started its headers are final: decide whether it can be shared at all.
    private void Check()
    {
        if (_checked || !_response.HasStarted)
        {
            return;
        }

        _checked = true;
        lock (_gate)
        {
            if (!ResponsePolicy.IsShareable(_response, _maximumBodySize))
            {
                StopCapture();
            }
            else if (_response.ContentLength is { } length)
            {
                _capture.Reserve(length);
            }
        }
    }

    // Copies the bytes for the waiters and has the pump send them to the client; false once the copy has stopped
    // (or stops now, the body having grown past the limit): the caller then sends them itself.
    private bool TryHold(ReadOnlySpan<byte> data)
    {
        lock (_gate)
        {
            if (!_capture.IsCapturing)
            {
                return false;
            }

            if (!_capture.TryAppend(data))
            {
                StopCapture();
                return false;
            }

            if (_capture.Written.Length == _sent)
            {
                return true;
            }
        }

        StartPump();
        return true;
    }

    // Asks the pump to flush (or complete) the client's response after what it holds; false once the copy has
    // stopped: the caller then does it itself.
    private bool RequestFromPump(bool complete)
    {
        lock (_gate)
        {
            if (!_capture.IsCapturing)
            {
                return false;
            }

            _flushPending = true;
            _completePending |= complete;
        }

        StartPump();
        return true;
    }

    private void StartPump()
    {
        lock (_gate)
        {
            if (_pumping)
            {
                return;
            }

            _pumping = true;
        }

        _pump = RunPumpAsync();
    }

    // Under _gate: the copy stops; what the client was not sent yet stays for it.
    private void StopCapture()
    {
        if (_capture.IsCapturing)
        {
            _backlog = _capture.Written[_sent..];
            _capture.Stop();
        }
    }

    // The next part of the body the client was not handed yet (empty when none).
    private ReadOnlyMemory<byte> TakeUnsent()
    {
        lock (_gate)
        {
            if (!_backlog.IsEmpty)
            {
                var backlog = _backlog;
                _backlog = default;
                return backlog;
            }

            if (!_capture.IsCapturing)
            {
                return default;
            }

            var written = _capture.Written;
            var next = written[_sent..];
            _sent = written.Length;
            return next;
        }
    }

    // What the pump does next; Stop ends it (under _gate, so a write arriving later starts a new one).
    private PumpStep NextPumpStep()
    {
        lock (_gate)
        {
            if (!_backlog.IsEmpty || (_capture.IsCapturing && _capture.Written.Length > _sent))
            {
                return PumpStep.Send;
            }

            var step = _completePending ? PumpStep.Complete : _flushPending ? PumpStep.Flush : PumpStep.Stop;
            _completePending = false;
            _flushPending = false;
            if (step == PumpStep.Stop)
            {
                _pumping = false;
            }

            return step;
        }
    }

    // Sends the client what it has not been sent, then flushes or completes its response if the app asked to.
    private async Task RunPumpAsync()
    {
        await _clientLock.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            while (NextPumpStep() is var step and not PumpStep.Stop)
            {
                if (step == PumpStep.Send)
                {
                    await SendHeldAsync().ConfigureAwait(false);
                }
                else
                {
                    await ForwardAsync(step, default, keep: true, _clientAborted).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            _clientLock.Release();
        }
    }

    // With _clientLock held: sends the client what the copy holds beyond what it was sent.
    private async ValueTask SendHeldAsync()
    {
        while (TakeUnsent() is { IsEmpty: false } next)
        {
            await ForwardAsync(PumpStep.Send, next, keep: true, _clientAborted).ConfigureAwait(false);
        }
    }

    // The synchronous twin of SendHeldAsync, for the app's synchronous writes.
    private void SendHeld()
    {
        while (TakeUnsent() is { IsEmpty: false } next)
        {
            Forward(next.Span, write: true, keep: true);
        }
    }

    // One operation on the client, skipped once it has gone; a failure once it has gone is dropped. With keep (on behalf
    // of writes that have returned) it is also skipped after an earlier failure, and a failure is kept for DrainAsync.
    private async ValueTask ForwardAsync(PumpStep step, ReadOnlyMemory<byte> data, bool keep, CancellationToken cancellationToken)
    {
        if (_clientGone || (keep && _failure is not null))
        {
            return;
        }

        try
        {
            await (step switch
            {
                PumpStep.Send => _inner.Stream.WriteAsync(data, cancellationToken).AsTask(),
                PumpStep.Flush => _inner.Stream.FlushAsync(cancellationToken),
                _ => _inner.CompleteAsync(),
            }).ConfigureAwait(false);
        }
        catch (Exception) when (ClientHasGone())
        {
        }
        catch (Exception ex) when (keep)
        {
            _failure = ExceptionDispatchInfo.Capture(ex);
        }
    }

    // The synchronous twin of ForwardAsync, for the app's synchronous writes and flushes.
    private void Forward(ReadOnlySpan<byte> data, bool write, bool keep)
    {
        if (_clientGone || (keep && _failure is not null))
        {
            return;
        }

        try
        {
            if (write)
            {
                _inner.Stream.Write(data);
            }
            else
            {
                _inner.Stream.Flush();
            }
        }
        catch (Exception) when (ClientHasGone())
        {
        }
        catch (Exception ex) when (keep)
        {
            _failure = ExceptionDispatchInfo.Capture(ex);
        }
    }
}
