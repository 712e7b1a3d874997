namespace HybridCaching.Redis.Client;

/// <summary>
/// One command on its way to the server and its reply's completion source. Continuations run asynchronously,
/// so a caller's code never runs on the connection's reader loop.
/// </summary>
internal sealed class PendingCommand : TaskCompletionSource<RedisReply>
{
    private CancellationTokenRegistration _registration;

    public PendingCommand(string name, RedisArgument[] arguments, long startedAt)
        : base(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        Name = name;
        Arguments = arguments;
        StartedAt = startedAt;
    }

    /// <summary>The command name, e.g. <c>GET</c>.</summary>
    public string Name { get; }

    /// <summary>The arguments after the name.</summary>
    public RedisArgument[] Arguments { get; }

    /// <summary>When the command was queued (a <see cref="TimeProvider"/> timestamp).</summary>
    public long StartedAt { get; }

    /// <summary>Cancels the caller's wait when <paramref name="cancellationToken"/> fires (the reply, if it comes, is dropped).</summary>
    public void Register(CancellationToken cancellationToken)
    {
        if (cancellationToken.CanBeCanceled)
        {
            _registration = cancellationToken.UnsafeRegister(
                static (state, token) => ((PendingCommand)state!).TrySetCanceled(token), this);
        }
    }

    /// <summary>Completes with the server's reply (an error reply becomes <see cref="RedisServerException"/>).</summary>
    public void Complete(in RedisReply reply)
    {
        _registration.Unregister();
        if (reply.Type == RedisReplyType.Error)
        {
            TrySetException(new RedisServerException(reply.ToString() ?? "ERR"));
        }
        else
        {
            TrySetResult(reply);
        }
    }

    /// <summary>Fails the command.</summary>
    public void Fail(Exception exception)
    {
        _registration.Unregister();
        TrySetException(exception);
    }
}
