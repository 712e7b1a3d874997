using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Text;
using HybridCaching.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using static HybridCaching.AspNetCore.Tests.TestHelpers;

namespace HybridCaching.AspNetCore.Tests;

/// <summary>A leader whose own client does not read: the requests waiting on it must not wait for that client.</summary>
public sealed class MiddlewareSlowClientTests : IAsyncDisposable
{
    private const string StalledHeader = "X-Test-Stalled-Client";
    private const int Chunk = 16 * 1024;

    private readonly MemoryCache _cache = new(1000, 1 << 26, TimeSpan.Zero);
    private readonly StalledClient _stalled = new();
    private int _runs;
    private int _entered;
    private long _started;
    private int _failed;
    private long _written;

    public ValueTask DisposeAsync() => _cache.DisposeAsync();

    private static byte[] Body(int length) => Enumerable.Range(0, length).Select(i => (byte)(i * 31 % 251)).ToArray();

    // The request carrying StalledHeader gets a response body its client never reads until the test releases it.
    private Task<TestApp> StartAsync(byte[] body, TaskCompletionSource originGate, long maximumBodySize = 64L << 20, Exception? failAfterBody = null)
        => TestApp.StartAsync(
            new HybridResponseCachingOptions { Cache = _cache, WaitFor = TimeSpan.FromSeconds(30), MaximumBodySize = maximumBodySize },
            app => app.Run(async context =>
            {
                Interlocked.Increment(ref _runs);
                await originGate.Task;
                context.Response.ContentType = "application/octet-stream";
                for (int offset = 0; offset < body.Length; offset += Chunk)
                {
                    int count = Math.Min(Chunk, body.Length - offset);
                    Interlocked.Add(ref _started, count);
                    await context.Response.Body.WriteAsync(body.AsMemory(offset, count));
                    Interlocked.Add(ref _written, count);
                }

                if (failAfterBody is not null)
                {
                    throw failAfterBody;
                }
            }),
            outer: async (context, next) =>
            {
                if (context.Request.Headers.ContainsKey(StalledHeader))
                {
                    var inner = context.Features.GetRequiredFeature<IHttpResponseBodyFeature>();
                    context.Features.Set<IHttpResponseBodyFeature>(_stalled.Wrap(inner));
                }

                var pending = next(context);
                Interlocked.Increment(ref _entered);
                try
                {
                    await pending;
                }
                catch (Exception ex) when (ex == failAfterBody)
                {
                    Interlocked.Increment(ref _failed);
                    if (!context.Response.HasStarted)
                    {
                        context.Response.StatusCode = StatusCodes.Status500InternalServerError;
                    }
                }
            });

    // The stalled request leads (the origin holds until every waiter has joined), then the waiters' responses.
    private async Task<(Task<HttpResponseMessage> Leader, HttpResponseMessage[] Waiters)> LeadStalledAndWaitAsync(TestApp app, TaskCompletionSource originGate, int waiters)
    {
        var leader = app.Client.SendAsync(StalledRequest());
        await EventuallyAsync(() => Volatile.Read(ref _runs) == 1 && Volatile.Read(ref _entered) == 1);
        var pending = Enumerable.Range(0, waiters).Select(_ => app.Client.GetAsync("/big")).ToArray();
        await EventuallyAsync(() => Volatile.Read(ref _entered) == waiters + 1);
        originGate.SetResult();
        return (leader, await Task.WhenAll(pending).WaitAsync(TimeSpan.FromSeconds(60)));
    }

    private static HttpRequestMessage StalledRequest()
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/big");
        request.Headers.Add(StalledHeader, "1");
        return request;
    }

    [Fact]
    public async Task Middleware_LeaderClientStalled_WaitersGetTheWholeBodyWhileItIsBlocked()
    {
        byte[] body = Body(1024 * 1024);
        var originGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var app = await StartAsync(body, originGate);

        var (leader, responses) = await LeadStalledAndWaitAsync(app, originGate, waiters: 20);

        Assert.Equal(0, _stalled.CompletedWrites);
        Assert.True(_stalled.AttemptedWrites > 0);
        foreach (var response in responses)
        {
            using (response)
            {
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                Assert.Equal(body, await response.Content.ReadAsByteArrayAsync());
            }
        }

        _stalled.Release();
        using var leaderResponse = await leader.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(body, await leaderResponse.Content.ReadAsByteArrayAsync());
        Assert.Equal(HttpCacheStatus.Miss, CacheStatus(leaderResponse));
        Assert.Equal(1, Volatile.Read(ref _runs));
        using var hit = await app.Client.GetAsync("/big");
        Assert.Equal(HttpCacheStatus.Hit, CacheStatus(hit));
        Assert.Equal(body, await hit.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Middleware_LeaderClientStalledAndPipelineFails_WaitersGetTheFailureWhileItIsBlocked()
    {
        var originGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var app = await StartAsync(Body(Chunk), originGate, failAfterBody: new InvalidOperationException("boom"));

        var (leader, responses) = await LeadStalledAndWaitAsync(app, originGate, waiters: 3);

        Assert.Equal(0, _stalled.CompletedWrites);
        Assert.All(responses, r => Assert.Equal(HttpStatusCode.InternalServerError, r.StatusCode));
        Assert.Equal(3, Volatile.Read(ref _failed));
        _stalled.Release();
        using var leaderResponse = await leader.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(4, Volatile.Read(ref _failed));
        Assert.Equal(1, Volatile.Read(ref _runs));
        Assert.Null(await _cache.GetAsync("http://localhost/big"));
    }

    // Past MaximumBodySize nothing is shared: the origin's writes wait for the stalled client again, so no more than
    // the limit is ever held for it.
    [Fact]
    public async Task Middleware_LeaderClientStalledBodyOverLimit_HoldsNoMoreThanTheLimit()
    {
        const int limit = 4 * Chunk;
        byte[] body = Body(16 * Chunk);
        var originGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        originGate.SetResult();
        await using var app = await StartAsync(body, originGate, maximumBodySize: limit);

        var leader = app.Client.SendAsync(StalledRequest());
        // The write past the limit has started and waits for the client, which has not accepted a byte.
        await EventuallyAsync(() => _stalled.AttemptedWrites > 0 && Volatile.Read(ref _started) == limit + Chunk);

        Assert.Equal(0, _stalled.CompletedWrites);
        Assert.Equal(limit, Volatile.Read(ref _written));
        _stalled.Release();
        using var leaderResponse = await leader.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(body, await leaderResponse.Content.ReadAsByteArrayAsync());
        Assert.Equal(body.Length, Volatile.Read(ref _written));
        Assert.Null(await _cache.GetAsync("http://localhost/big"));
    }

    // The scenario of the report, on a real socket: a leader's client that reads nothing (its receive buffer kept
    // small, so it holds far less than the body), and requests waiting on it.
    [Fact]
    public async Task Middleware_OnKestrelLeaderSocketNotReading_WaitersGetTheBodyAndTheAppFinishes()
    {
        byte[] body = Body(16 * 1024 * 1024);
        int runs = 0;
        long written = 0;
        var originGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var app = await TestApp.StartAsync(
            new HybridResponseCachingOptions { Cache = _cache, WaitFor = TimeSpan.FromSeconds(30) },
            app => app.Run(async context =>
            {
                Interlocked.Increment(ref runs);
                await originGate.Task;
                context.Response.ContentLength = body.Length;
                for (int offset = 0; offset < body.Length; offset += Chunk)
                {
                    await context.Response.Body.WriteAsync(body.AsMemory(offset, Chunk));
                    Interlocked.Add(ref written, Chunk);
                }
            }),
            services: s => s.Configure<KestrelServerOptions>(o => o.Limits.MinResponseDataRate = null),
            outer: async (context, next) =>
            {
                var pending = next(context);
                Interlocked.Increment(ref _entered);
                await pending;
            },
            kestrel: true);

        using var leader = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 64 * 1024 };
        await leader.ConnectAsync(app.BaseAddress.Host, app.BaseAddress.Port);
        await leader.SendAsync(Encoding.ASCII.GetBytes($"GET /big HTTP/1.1\r\nHost: {app.BaseAddress.Authority}\r\nConnection: close\r\n\r\n"));
        await EventuallyAsync(() => Volatile.Read(ref runs) == 1 && Volatile.Read(ref _entered) == 1);
        var waiters = Enumerable.Range(0, 3).Select(_ => app.Client.GetAsync("/big")).ToArray();
        await EventuallyAsync(() => Volatile.Read(ref _entered) == 4);
        originGate.SetResult();

        var responses = await Task.WhenAll(waiters).WaitAsync(TimeSpan.FromSeconds(60));

        // The app wrote the whole body although the leader's client has read nothing (and can hold a few MB at most).
        Assert.Equal(body.Length, Volatile.Read(ref written));
        foreach (var response in responses)
        {
            using (response)
            {
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                Assert.Equal(body, await response.Content.ReadAsByteArrayAsync());
            }
        }

        using var received = new MemoryStream();
        await using (var stream = new NetworkStream(leader, ownsSocket: false))
        {
            await stream.CopyToAsync(received).WaitAsync(TimeSpan.FromSeconds(60));
        }

        byte[] raw = received.ToArray();
        int headerEnd = raw.AsSpan().IndexOf("\r\n\r\n"u8) + 4;
        string head = Encoding.ASCII.GetString(raw, 0, headerEnd);
        Assert.StartsWith("HTTP/1.1 200", head, StringComparison.Ordinal);
        Assert.Contains("X-Cache: MISS", head, StringComparison.Ordinal);
        Assert.Equal(body, raw[headerEnd..]);
        Assert.Equal(1, Volatile.Read(ref runs));
    }

    // Synchronous writes (AllowSynchronousIO) mixed with asynchronous ones keep their order for the leader's client,
    // below and past the limit (where the copy stops and held bytes go out before the next write).
    [Theory]
    [InlineData(1 << 20)]
    [InlineData(5)]
    public async Task Middleware_SynchronousAndAsynchronousWrites_LeaderGetsThemInOrder(int maximumBodySize)
    {
        await using var app = await TestApp.StartAsync(
            new HybridResponseCachingOptions { Cache = _cache, MaximumBodySize = maximumBodySize },
            app => app.Run(async context =>
            {
                context.Features.GetRequiredFeature<IHttpBodyControlFeature>().AllowSynchronousIO = true;
                context.Response.Body.Write("one;"u8);
                await context.Response.Body.WriteAsync("two;"u8.ToArray());
                context.Response.Body.Write("three;"u8);
                context.Response.Body.Flush();
                await context.Response.Body.WriteAsync("four"u8.ToArray());
            }));

        using var leader = await app.Client.GetAsync("/sync");
        using var next = await app.Client.GetAsync("/sync");

        Assert.Equal("one;two;three;four", await leader.Content.ReadAsStringAsync());
        Assert.Equal("one;two;three;four", await next.Content.ReadAsStringAsync());
        Assert.Equal(maximumBodySize > 100 ? HttpCacheStatus.Hit : HttpCacheStatus.Miss, CacheStatus(next));
    }

    /// <summary>Stands for a client that does not read: writes to its response body wait until <see cref="Release"/>.</summary>
    private sealed class StalledClient
    {
        private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _attempted;
        private int _completed;

        public int AttemptedWrites => Volatile.Read(ref _attempted);

        public int CompletedWrites => Volatile.Read(ref _completed);

        public void Release() => _gate.TrySetResult();

        public IHttpResponseBodyFeature Wrap(IHttpResponseBodyFeature inner) => new Feature(this, inner);

        private sealed class Feature(StalledClient owner, IHttpResponseBodyFeature inner) : WriteOnlyStream, IHttpResponseBodyFeature
        {
            private PipeWriter? _writer;

            public Stream Stream => this;

            public PipeWriter Writer => _writer ??= PipeWriter.Create(this, new StreamPipeWriterOptions(leaveOpen: true));

            public void DisableBuffering() => inner.DisableBuffering();

            public Task StartAsync(CancellationToken cancellationToken = default) => inner.StartAsync(cancellationToken);

            public Task SendFileAsync(string path, long offset, long? count, CancellationToken cancellationToken = default)
                => SendFileFallback.SendFileAsync(this, path, offset, count, cancellationToken);

            public async Task CompleteAsync()
            {
                await owner._gate.Task;
                await inner.CompleteAsync();
            }

            public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
            {
                Interlocked.Increment(ref owner._attempted);
                await owner._gate.Task.WaitAsync(cancellationToken);
                await inner.Stream.WriteAsync(buffer, cancellationToken);
                Interlocked.Increment(ref owner._completed);
            }

            public override async Task FlushAsync(CancellationToken cancellationToken)
            {
                await owner._gate.Task.WaitAsync(cancellationToken);
                await inner.Stream.FlushAsync(cancellationToken);
            }

            public override void Flush() => throw new NotSupportedException();

            public override void Write(ReadOnlySpan<byte> buffer) => throw new NotSupportedException();
        }
    }
}
