namespace HybridCaching.Redis.Client;

/// <summary>The base type of the errors raised by the Redis client.</summary>
public class RedisException : Exception
{
    /// <summary>Creates an exception with no message.</summary>
    public RedisException()
    {
    }

    /// <summary>Creates an exception with a message.</summary>
    /// <param name="message">What went wrong.</param>
    public RedisException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with a message and the error that caused it.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The cause.</param>
    public RedisException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// The connection to the server is not available: it could not be opened, it broke while a command was
/// in flight, or the client is reconnecting (calls fail fast instead of waiting on a dead socket).
/// </summary>
public sealed class RedisConnectionException : RedisException
{
    /// <summary>Creates an exception with no message.</summary>
    public RedisConnectionException()
    {
    }

    /// <summary>Creates an exception with a message.</summary>
    /// <param name="message">What went wrong; never contains a password.</param>
    public RedisConnectionException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with a message and the error that caused it.</summary>
    /// <param name="message">What went wrong; never contains a password.</param>
    /// <param name="innerException">The cause.</param>
    public RedisConnectionException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>The server answered a command with an error reply; <see cref="Exception.Message"/> is the server's text.</summary>
public sealed class RedisServerException : RedisException
{
    /// <summary>Creates an exception with no message.</summary>
    public RedisServerException()
    {
    }

    /// <summary>Creates an exception carrying the server's error text.</summary>
    /// <param name="message">The server's error reply, e.g. <c>WRONGTYPE Operation against a key holding the wrong kind of value</c>.</param>
    public RedisServerException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with a message and the error that caused it.</summary>
    /// <param name="message">The server's error reply.</param>
    /// <param name="innerException">The cause.</param>
    public RedisServerException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The error prefix the server put first (for example <c>ERR</c>, <c>WRONGPASS</c>, <c>NOPERM</c>), or an empty string.</summary>
    public string ErrorCode
    {
        get
        {
            var space = Message.IndexOf(' ', StringComparison.Ordinal);
            var head = space < 0 ? Message : Message[..space];
            return head.Length > 0 && head.All(c => c is >= 'A' and <= 'Z') ? head : string.Empty;
        }
    }
}

/// <summary>The server sent bytes that are not valid RESP; the connection is closed and reopened.</summary>
public sealed class RedisProtocolException : RedisException
{
    /// <summary>Creates an exception with no message.</summary>
    public RedisProtocolException()
    {
    }

    /// <summary>Creates an exception with a message.</summary>
    /// <param name="message">What was wrong with the data.</param>
    public RedisProtocolException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with a message and the error that caused it.</summary>
    /// <param name="message">What was wrong with the data.</param>
    /// <param name="innerException">The cause.</param>
    public RedisProtocolException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
