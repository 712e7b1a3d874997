using System.Buffers;
using System.Buffers.Text;

namespace HybridCaching.Redis.Client;

/// <summary>
/// Frames commands as RESP arrays of bulk strings into a reusable buffer, which the connection's writer loop
/// sends in one write per batch. Large arguments (a big value) skip the buffer and go to the stream directly,
/// so they are never copied twice.
/// </summary>
internal sealed class RespWriter
{
    /// <summary>Arguments at least this long are written to the stream directly instead of being copied.</summary>
    internal const int LargeArgument = 64 * 1024;

    /// <summary>A batch is sent once the buffer holds this many bytes, even if more commands are queued.</summary>
    internal const int BatchBytes = 256 * 1024;

    private readonly Stream _stream;
    private ArrayBufferWriter<byte> _buffer = new(16 * 1024);

    public RespWriter(Stream stream) => _stream = stream;

    /// <summary>How many bytes wait in the buffer.</summary>
    public int Buffered => _buffer.WrittenCount;

    /// <summary>Frames one command; may send buffered bytes first when an argument is large.</summary>
    public async ValueTask WriteCommandAsync(string name, RedisArgument[] arguments, CancellationToken cancellationToken)
    {
        WriteHeader((byte)'*', arguments.Length + 1);
        WriteBulk(name);
        foreach (var argument in arguments)
        {
            if (argument.TryGetBytes(out var bytes) && bytes.Length >= LargeArgument)
            {
                WriteHeader((byte)'$', bytes.Length);
                await FlushAsync(cancellationToken).ConfigureAwait(false);
                await _stream.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
                WriteCrlf();
            }
            else
            {
                WriteBulk(argument);
            }
        }
    }

    /// <summary>Sends the buffered bytes.</summary>
    public async ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        if (_buffer.WrittenCount == 0)
        {
            return;
        }

        await _stream.WriteAsync(_buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
        if (_buffer.Capacity > 4 * BatchBytes)
        {
            _buffer = new ArrayBufferWriter<byte>(16 * 1024);
        }
        else
        {
            _buffer.ResetWrittenCount();
        }
    }

    private void WriteBulk(RedisArgument argument)
    {
        var length = argument.ByteCount;
        WriteHeader((byte)'$', length);
        var span = _buffer.GetSpan(length + 2);
        var written = argument.CopyTo(span);
        span[written] = (byte)'\r';
        span[written + 1] = (byte)'\n';
        _buffer.Advance(written + 2);
    }

    private void WriteHeader(byte prefix, int length)
    {
        var span = _buffer.GetSpan(16);
        span[0] = prefix;
        Utf8Formatter.TryFormat(length, span[1..], out var written);
        span[written + 1] = (byte)'\r';
        span[written + 2] = (byte)'\n';
        _buffer.Advance(written + 3);
    }

    private void WriteCrlf()
    {
        var span = _buffer.GetSpan(2);
        span[0] = (byte)'\r';
        span[1] = (byte)'\n';
        _buffer.Advance(2);
    }
}
