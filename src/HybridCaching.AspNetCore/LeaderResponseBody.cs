using System.IO.Pipelines;
using System.Runtime.ExceptionServices;
using HybridCaching.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace HybridCaching.AspNetCore;

// The response body of the request that runs the pipeline for everyone waiting on the same key. While the response can
// be shared, each write is copied into a bounded buffer (for the waiters and the cache) and returns at once; a pump
// sends the client the bytes from that copy at whatever pace it reads, so the pipeline and every waiter run at the
// origin's speed. The copy stops once the response turns out not shareable (checked when it starts, its headers final)
// or grows past the limit; from then on writes go through to the client after what the pump still holds, as without a
// cache. Once the leader's client has gone, writes to it are dropped (the waiters still get the whole response); a
// failed send the app can no longer see (its write had returned) is kept for DrainAsync.
internal sealed class LeaderResponseBody(HttpResponse response, IHttpResponseBodyFeature inner, long maximumBodySize, CancellationToken clientAborted)
    : WriteOnlyStream, IHttpResponseBodyFeature
{
    private readonly BoundedBuffer _capture = new(maximumBodySize);

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

    // The flush or completion the pump owes the client once it has sent the bytes (Send: none).
    private ClientStep _pending;
    private Task _pump = Task.CompletedTask;
    private ExceptionDispatchInfo? _failure;

    // In the order a pump's pending step is raised.
    private enum ClientStep
    {
        Send,
        Flush,
        Complete,
    }

    // The body written so far (read once the pipeline has finished), or null once the copy has stopped.
    public ReadOnlyMemory<byte>? Captured => _capture.IsCapturing ? _capture.Written : default(ReadOnlyMemory<byte>?);

    // Under _gate: the bytes the client was not handed yet (once the copy has stopped, those it held then).
    private ReadOnlyMemory<byte> Unsent => _capture.IsCapturing ? _capture.Written[_sent..] : _backlog;

    Stream IHttpResponseBodyFeature.Stream => this;

    public PipeWriter Writer => _writer ??= PipeWriter.Create(this, new StreamPipeWriterOptions(leaveOpen: true));

    public void DisableBuffering() => inner.DisableBuffering();

    // Every write and flush starts the response first: whether to copy is decided once its headers are final.
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (!response.HasStarted)
        {
            try
            {
                await inner.StartAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception) when (ClientHasGone())
            {
            }
        }

        Check();
    }

    // A file that would take the body past the limit stops the copy first, so none of it is buffered.
    public async Task SendFileAsync(string path, long offset, long? count, CancellationToken cancellationToken = default)
    {
        await StartAsync(cancellationToken).ConfigureAwait(false);
        long length = count ?? (new FileInfo(path).Length - offset);
        lock (_gate)
        {
            if (_capture.Written.Length + length > maximumBodySize)
            {
                StopCapture();
            }
        }

        await SendFileFallback.SendFileAsync(this, path, offset, count, cancellationToken).ConfigureAwait(false);
    }

    public async Task CompleteAsync()
    {
        await FlushWriterAsync().ConfigureAwait(false);
        await PushAsync(ClientStep.Complete, default, CancellationToken.None).ConfigureAwait(false);
    }

    // Pushes through what the app left unflushed in Writer (without starting an empty response).
    public async Task FlushWriterAsync()
    {
        if (_writer is not null && (!_writer.CanGetUnflushedBytes || _writer.UnflushedBytes > 0))
        {
            await _writer.FlushAsync().ConfigureAwait(false);
        }
    }

    // Once the pipeline has finished: waits until the client has been sent everything (or has gone), and returns the
    // pipeline's failure, else a kept failed send, if any.
    public async Task<Exception?> DrainAsync(Exception? pipelineFailure = null)
    {
        await RunPumpAsync().ConfigureAwait(false);

        // Only observes the pump: it keeps its failures, and has nothing left to send.
        await Volatile.Read(ref _pump).ConfigureAwait(false);
        return pipelineFailure ?? _failure?.SourceException;
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        => PushAsync(ClientStep.Send, buffer, cancellationToken);

    // Synchronous I/O the app asked for (AllowSynchronousIO): the response is started by a synchronous flush, and once
    // the copy has stopped every write goes through to the client here and waits for it.
    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (!response.HasStarted)
        {
            Through(ClientStep.Flush, default);
        }

        Check();
        if (!TryPump(ClientStep.Send, buffer))
        {
            Through(ClientStep.Send, buffer);
        }
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => PushAsync(ClientStep.Flush, default, cancellationToken).AsTask();

    public override void Flush()
    {
        if (!response.HasStarted || !TryPump(ClientStep.Flush, default))
        {
            Through(ClientStep.Flush, default);
            Check();
        }
    }

    // Handed to the pump while the copy goes on, else done here.
    private async ValueTask PushAsync(ClientStep step, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        await StartAsync(cancellationToken).ConfigureAwait(false);
        if (!TryPump(step, data.Span))
        {
            await ThroughAsync(step, data, cancellationToken).ConfigureAwait(false);
        }
    }

    // Once the copy has stopped: sends what the pump still holds, then does step itself (a write first throws a kept
    // failure).
    private async Task ThroughAsync(ClientStep step, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        await _clientLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await SendHeldAsync().ConfigureAwait(false);
            if (step == ClientStep.Send)
            {
                _failure?.Throw();
            }

            await ForwardAsync(step, data, keep: false, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _clientLock.Release();
        }
    }

    // The synchronous twin of ThroughAsync.
    private void Through(ClientStep step, ReadOnlySpan<byte> data)
    {
        _clientLock.Wait(CancellationToken.None);
        try
        {
            while (TakeUnsent() is { IsEmpty: false } next)
            {
                Forward(ClientStep.Send, next.Span, keep: true);
            }

            if (step == ClientStep.Send)
            {
                _failure?.Throw();
            }

            Forward(step, data, keep: false);
        }
        finally
        {
            _clientLock.Release();
        }
    }

    // A write that fails after the leader's client has gone is dropped (and so are later ones), not thrown to the app.
    private bool ClientHasGone() => clientAborted.IsCancellationRequested ? _clientGone = true : _clientGone;

    // Once the response has started its headers are final: decide whether it can be shared at all.
    private void Check()
    {
        if (_checked || !response.HasStarted)
        {
            return;
        }

        _checked = true;
        lock (_gate)
        {
            if (!ResponsePolicy.IsShareable(response, maximumBodySize))
            {
                StopCapture();
            }
            else if (response.ContentLength is { } length)
            {
                _capture.Reserve(length);
            }
        }
    }

    // Copies the bytes and has the pump send them, then do step; false once the copy has stopped (or stops now, past the
    // limit): the caller then does it itself.
    private bool TryPump(ClientStep step, ReadOnlySpan<byte> data)
    {
        lock (_gate)
        {
            if (!_capture.IsCapturing || !_capture.TryAppend(data))
            {
                StopCapture();
                return false;
            }

            _pending = step > _pending ? step : _pending;
            if (_pumping || (Unsent.IsEmpty && step == ClientStep.Send))
            {
                return true;
            }

            _pumping = true;
        }

        _pump = RunPumpAsync();
        return true;
    }

    // Under _gate.
    private void StopCapture()
    {
        if (_capture.IsCapturing)
        {
            _backlog = Unsent;
            _capture.Stop();
        }
    }

    private ReadOnlyMemory<byte> TakeUnsent()
    {
        lock (_gate)
        {
            var next = Unsent;
            _sent += next.Length;
            _backlog = default;
            return next;
        }
    }

    // Sends the client what it has not been sent, then the pending step; ends under _gate (so a later write starts a new
    // pump) once there is nothing left to do.
    private async Task RunPumpAsync()
    {
        await _clientLock.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            while (true)
            {
                await SendHeldAsync().ConfigureAwait(false);
                ClientStep step;
                lock (_gate)
                {
                    if (!Unsent.IsEmpty)
                    {
                        continue;
                    }

                    step = _pending;
                    _pending = ClientStep.Send;
                    if (step == ClientStep.Send)
                    {
                        _pumping = false;
                        return;
                    }
                }

                await ForwardAsync(step, default, keep: true, clientAborted).ConfigureAwait(false);
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
            await ForwardAsync(ClientStep.Send, next, keep: true, clientAborted).ConfigureAwait(false);
        }
    }

    // One operation on the client, skipped once it has gone. With keep (on behalf of writes that have returned) it is
    // also skipped after an earlier failure, and a failure is kept for DrainAsync.
    private async ValueTask ForwardAsync(ClientStep step, ReadOnlyMemory<byte> data, bool keep, CancellationToken cancellationToken)
    {
        if (Skips(keep))
        {
            return;
        }

        try
        {
            await (step switch
            {
                ClientStep.Send => inner.Stream.WriteAsync(data, cancellationToken).AsTask(),
                ClientStep.Flush => inner.Stream.FlushAsync(cancellationToken),
                _ => inner.CompleteAsync(),
            }).ConfigureAwait(false);
        }
        catch (Exception ex) when (Absorbs(ex, keep))
        {
        }
    }

    // The synchronous twin of ForwardAsync (a write or a flush).
    private void Forward(ClientStep step, ReadOnlySpan<byte> data, bool keep)
    {
        if (Skips(keep))
        {
            return;
        }

        try
        {
            if (step == ClientStep.Send)
            {
                inner.Stream.Write(data);
            }
            else
            {
                inner.Stream.Flush();
            }
        }
        catch (Exception ex) when (Absorbs(ex, keep))
        {
        }
    }

    private bool Skips(bool keep) => _clientGone || (keep && _failure is not null);

    // Whether a failed operation is not thrown: dropped once the client has gone, else kept with keep.
    private bool Absorbs(Exception exception, bool keep)
    {
        if (!ClientHasGone() && keep)
        {
            _failure = ExceptionDispatchInfo.Capture(exception);
        }

        return _clientGone || keep;
    }
}
