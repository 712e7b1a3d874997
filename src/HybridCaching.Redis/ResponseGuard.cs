using System.Collections.Concurrent;
using System.Net;
using System.Runtime.ExceptionServices;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace HybridCaching.Redis;

// Bounds every Redis round trip by OperationTimeout and the caller's token. A server that lets one run past it (hung:
// SIGSTOP, a stalled network) is marked unresponsive: the calls it would serve fail at once until it answers a PING of its
// own (or stopping fires). Only that server: on a cluster, the other nodes' keys go on using Redis. A call abandoned at
// its bound is observed, so a late failure raises no UnobservedTaskException.
internal sealed partial class ResponseGuard(TimeSpan timeout, TimeProvider time, ILogger logger, CancellationToken stopping)
{
    private static readonly TimeSpan ProbeInterval = TimeSpan.FromMilliseconds(100);

    private readonly ConcurrentDictionary<EndPoint, bool> _unresponsive = new();

    // How many servers are marked: while none is, a call costs one volatile read and no lookup.
    private int _marked;

    // Fails at once while the server the target would reach is marked.
    public void ThrowIfUnresponsive(in GuardTarget target)
    {
        if (Volatile.Read(ref _marked) != 0 && target.Resolve() is { } endPoint && _unresponsive.ContainsKey(endPoint))
        {
            throw new TimeoutException($"Redis at {endPoint} did not answer within {(long)timeout.TotalMilliseconds} ms; failing fast until it answers again.");
        }
    }

    // A budget shorter than the operation timeout (a race step's) that runs out fails the call only, marking nothing.
    public async Task WaitAsync(Task pending, GuardTarget target, CancellationToken cancellationToken, TimeSpan? budget = null)
    {
        try
        {
            await Bound(pending, budget ?? TimeSpan.MaxValue, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            ExceptionDispatchInfo.Throw(Failed(ex, pending, budget ?? TimeSpan.MaxValue, target));
        }
    }

    // WaitAsync without its async frame (for the hot path): the caller passes a failure through Failed.
    public Task Bound(Task pending, TimeSpan budget, CancellationToken cancellationToken)
        => pending.IsCompleted ? pending : pending.WaitAsync(budget < timeout ? budget : timeout, time, cancellationToken);

    // Returns the exception to throw. A command abandoned at its bound or on cancellation is observed; running out of the
    // operation timeout (not a shorter budget) marks the target's server unresponsive.
    public Exception Failed(Exception failure, Task pending, TimeSpan budget, in GuardTarget target)
    {
        if (pending.IsCompleted || failure is not (TimeoutException or OperationCanceledException))
        {
            return failure;
        }

        TaskObservation.ObserveFailure(pending);
        if (failure is OperationCanceledException)
        {
            return failure;
        }

        if (budget < timeout)
        {
            return new TimeoutException($"Redis did not answer within the {(long)budget.TotalMilliseconds} ms this call could give it.");
        }

        var endPoint = MarkUnresponsive(target);
        return new TimeoutException($"Redis{(endPoint is null ? null : " at " + endPoint)} did not answer within {(long)timeout.TotalMilliseconds} ms.");
    }

    // Marks the target's server and starts its probe, unless marked already; returns that server, null when none is known.
    public EndPoint? MarkUnresponsive(in GuardTarget target)
    {
        var endPoint = target.Resolve();
        if (endPoint is not null && target.Multiplexer is { } multiplexer && _unresponsive.TryAdd(endPoint, true))
        {
            Interlocked.Increment(ref _marked);
            LogUnresponsive(logger, endPoint, (long)timeout.TotalMilliseconds);
            _ = ProbeAsync(multiplexer, endPoint);
        }

        return endPoint;
    }

    // Never throws: PINGs the server until it answers one in time (or the cache is disposed), then unmarks it.
    private async Task ProbeAsync(IConnectionMultiplexer multiplexer, EndPoint endPoint)
    {
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(ProbeInterval, time, stopping).ConfigureAwait(false);
                if (Ping(multiplexer, endPoint) is { } ping)
                {
                    await WaitAsync(ping, default, stopping).ConfigureAwait(false);
                }

                if (_unresponsive.TryRemove(endPoint, out _))
                {
                    Interlocked.Decrement(ref _marked);
                }

                LogResponsiveAgain(logger, endPoint);
                return;
            }
#pragma warning disable CA1031 // a failed probe only means "not yet"
            catch (Exception)
#pragma warning restore CA1031
            {
            }
        }
    }

    // Behind a proxy the whole Redis is pinged; null (stop probing) for a server the multiplexer no longer lists.
    private static Task? Ping(IConnectionMultiplexer multiplexer, EndPoint endPoint)
    {
        try
        {
            return ReferenceEquals(endPoint, GuardTarget.WholeRedis) ? multiplexer.GetDatabase().PingAsync() : multiplexer.GetServer(endPoint).PingAsync();
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    [LoggerMessage(EventId = 3010, Level = LogLevel.Warning, Message = "Redis at {EndPoint} did not answer within {TimeoutMs} ms: failing the calls it serves at once until it answers a PING.")]
    private static partial void LogUnresponsive(ILogger logger, EndPoint endPoint, long timeoutMs);

    [LoggerMessage(EventId = 3011, Level = LogLevel.Information, Message = "Redis at {EndPoint} answers again.")]
    private static partial void LogResponsiveAgain(ILogger logger, EndPoint endPoint);
}

// The server a command goes to: one the caller names (a SCAN), or the one serving a key, found only when the guard needs
// it (from the slot map, no round trip). A keyless command on a cluster, or default, has none: neither stopped nor marked.
internal readonly struct GuardTarget(IConnectionMultiplexer? multiplexer, RedisKey key, EndPoint? server = null)
{
    public IConnectionMultiplexer? Multiplexer => multiplexer;

    // Behind a proxy (twemproxy, envoy) the servers are hidden: the whole Redis is the one server marked and probed.
    public static readonly EndPoint WholeRedis = new DnsEndPoint("redis-behind-a-proxy", 0);

    public static GuardTarget Of(IServer server) => new(server.Multiplexer, default, server.EndPoint);

    public EndPoint? Resolve()
    {
        if (server is not null || multiplexer is null)
        {
            return server;
        }

        try
        {
            var owner = multiplexer.GetServer(key);
            if (owner.ServerType != ServerType.Cluster)
            {
                return owner.EndPoint;
            }

            // GetServer falls back to another primary when the key's own cannot be selected, and a cluster configuration
            // may predate a failover: the key's server is known only when the two agree.
            return key != default(RedisKey) && owner.ClusterConfiguration?.GetBySlot(key)?.EndPoint is { } slotOwner && slotOwner.Equals(owner.EndPoint)
                ? owner.EndPoint
                : null;
        }
        catch (NotSupportedException)
        {
            return WholeRedis;
        }
        catch (Exception ex) when (ex is InvalidOperationException or RedisException or ObjectDisposedException or ArgumentException)
        {
            return null;
        }
    }
}
