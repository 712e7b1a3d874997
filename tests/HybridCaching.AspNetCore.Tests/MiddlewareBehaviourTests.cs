using System.Net;
using System.Text;
using HybridCaching.Http;
using HybridCaching.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Microsoft.Extensions.Time.Testing;
using static HybridCaching.AspNetCore.Tests.TestHelpers;

namespace HybridCaching.AspNetCore.Tests;

public sealed class MiddlewareBehaviourTests : IAsyncDisposable
{
    private static readonly TimeSpan WaitFor = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan FreshFor = TimeSpan.FromMinutes(1);

    private readonly FakeTimeProvider _time = new();
    private readonly MemoryCache _cache;

    public MiddlewareBehaviourTests() => _cache = new MemoryCache(10_000, 1 << 26, TimeSpan.Zero, _time);

    public ValueTask DisposeAsync() => _cache.DisposeAsync();

    private HybridResponseCachingOptions Options(Action<HybridResponseCachingOptions>? configure = null)
    {
        var options = new HybridResponseCachingOptions { Cache = _cache, TimeProvider = _time, WaitFor = WaitFor, FreshFor = FreshFor, Ttl = TimeSpan.FromHours(1) };
        configure?.Invoke(options);
        return options;
    }

    // Counts requests that have gone through the middleware's synchronous part (for a cold key: joined the run).
    private static Func<HttpContext, RequestDelegate, Task> CountEntered(Func<int> increment) => async (context, next) =>
    {
        var pending = next(context);
        increment();
        await pending;
    };

    [Fact]
    public async Task Middleware_SecondGet_IsHitWithAgeAndEndpointRunsOnce()
    {
        int runs = 0;
        await using var app = await TestApp.StartAsync(Options(), app => app.MapGet("/a", () => $"run {Interlocked.Increment(ref runs)}"));

        using var first = await app.Client.GetAsync("/a");
        _time.Advance(TimeSpan.FromSeconds(30));
        using var second = await app.Client.GetAsync("/a");

        Assert.Equal(HttpCacheStatus.Miss, CacheStatus(first));
        Assert.Equal(HttpCacheStatus.Hit, CacheStatus(second));
        Assert.Equal(TimeSpan.FromSeconds(30), second.Headers.Age);
        Assert.Equal("run 1", await second.Content.ReadAsStringAsync());
        Assert.Equal("text/plain; charset=utf-8", second.Content.Headers.ContentType?.ToString());
        Assert.Equal(1, runs);
    }

    [Fact]
    public async Task Middleware_OriginFailsAfterFreshFor_ServesStaleThenRefreshesOnRecovery()
    {
        int version = 1;
        bool down = false;
        int runs = 0;
        await using var app = await TestApp.StartAsync(Options(), app => app.MapGet("/page", () =>
        {
            Interlocked.Increment(ref runs);
            return Volatile.Read(ref down) ? throw new InvalidOperationException("origin down") : $"v{Volatile.Read(ref version)}";
        }));

        using (var first = await app.Client.GetAsync("/page"))
        {
            Assert.Equal("v1", await first.Content.ReadAsStringAsync());
        }

        _time.Advance(FreshFor + TimeSpan.FromSeconds(1));
        Volatile.Write(ref down, true);
        Volatile.Write(ref version, 2);

        // The stale response keeps being served while background refreshes (three at least) fail.
        int runsWhenDown = Volatile.Read(ref runs);
        await EventuallyAsync(async () =>
        {
            await PassRetryWindowAsync(_time);
            using var stale = await app.Client.GetAsync("/page");
            Assert.Equal(HttpStatusCode.OK, stale.StatusCode);
            Assert.Equal("v1", await stale.Content.ReadAsStringAsync());
            Assert.Equal(HttpCacheStatus.Stale, CacheStatus(stale));
            return Volatile.Read(ref runs) >= runsWhenDown + 3;
        });

        Volatile.Write(ref down, false);
        string? body = null;
        await EventuallyAsync(async () =>
        {
            await PassRetryWindowAsync(_time);
            using var response = await app.Client.GetAsync("/page");
            body = await response.Content.ReadAsStringAsync();
            return body == "v2" && CacheStatus(response) == HttpCacheStatus.Hit;
        });
        Assert.Equal("v2", body);
    }

    [Fact]
    public async Task Middleware_HundredConcurrentColdRequests_EndpointRunsOnce()
    {
        int runs = 0;
        int entered = 0;
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var app = await TestApp.StartAsync(
            Options(),
            app => app.MapGet("/cold", async () =>
            {
                Interlocked.Increment(ref runs);
                await gate.Task;
                return "shared";
            }),
            outer: CountEntered(() => Interlocked.Increment(ref entered)));

        var requests = Enumerable.Range(0, 100).Select(_ => Task.Run(async () =>
        {
            using var response = await app.Client.GetAsync("/cold");
            return (Body: await response.Content.ReadAsStringAsync(), Status: CacheStatus(response));
        })).ToArray();
        await EventuallyAsync(() => Volatile.Read(ref entered) == 100);
        gate.SetResult();
        var results = await Task.WhenAll(requests);

        Assert.Equal(1, runs);
        Assert.All(results, r => Assert.Equal("shared", r.Body));
        Assert.Single(results, r => r.Status == HttpCacheStatus.Miss);
    }

    [Fact]
    public async Task Middleware_HeadAfterGet_AnswersHeadersOnlyFromCache()
    {
        int runs = 0;
        await using var app = await TestApp.StartAsync(Options(), app => app.MapGet("/h", () => $"hello {Interlocked.Increment(ref runs)}"));
        using (await app.Client.GetAsync("/h")) { }

        using var head = await app.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/h"));

        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(HttpCacheStatus.Hit, CacheStatus(head));
        Assert.Equal(7, head.Content.Headers.ContentLength);
        Assert.Equal("text/plain; charset=utf-8", head.Content.Headers.ContentType?.ToString());
        Assert.Empty(await head.Content.ReadAsByteArrayAsync());
        Assert.Equal(1, runs);
    }

    [Fact]
    public async Task Middleware_HeadMiss_PassesThroughAndStoresNothing()
    {
        var methods = new List<string>();
        await using var app = await TestApp.StartAsync(Options(), app => app.Run(context =>
        {
            lock (methods)
            {
                methods.Add(context.Request.Method);
            }

            return Task.CompletedTask;
        }));

        using var head = await app.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/cold-head"));

        Assert.Equal(["HEAD"], methods);
        Assert.Equal(HttpCacheStatus.Miss, CacheStatus(head));
        Assert.Null(await _cache.GetAsync("http://localhost/cold-head"));
    }

    // A HEAD leading the run would hand its waiters a "bypass" (no body to share) and run the pipeline once per GET.
    [Fact]
    public async Task Middleware_HeadMissThenConcurrentGets_PipelineRunsOnceForTheGets()
    {
        var held = new HeldRaceCache(_cache);
        var headGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var getGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int heads = 0;
        int gets = 0;
        await using var app = await TestApp.StartAsync(Options(o => o.Cache = held), app => app.Run(async context =>
        {
            if (HttpMethods.IsHead(context.Request.Method))
            {
                Interlocked.Increment(ref heads);
                await headGate.Task;
                return;
            }

            Interlocked.Increment(ref gets);
            await getGate.Task;
            await context.Response.WriteAsync("shared");
        }));

        var head = app.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/cold"));
        await EventuallyAsync(() => Volatile.Read(ref heads) == 1);
        var requests = Enumerable.Range(0, 20).Select(_ => Task.Run(async () =>
        {
            using var response = await app.Client.GetAsync("/cold");
            return (Status: CacheStatus(response), Body: await response.Content.ReadAsStringAsync());
        })).ToArray();
        // 21 reads found nothing: the HEAD's lookup and each GET's; every GET then waits for the one run.
        await EventuallyAsync(() => held.Misses == 21 && Volatile.Read(ref gets) == 1);
        getGate.SetResult();
        held.Release();
        var results = await Task.WhenAll(requests);
        headGate.SetResult();
        using var headResponse = await head;

        Assert.Equal(1, Volatile.Read(ref gets));
        Assert.Equal(21, held.Misses);
        Assert.All(results, r => Assert.Equal("shared", r.Body));
        Assert.Single(results, r => r.Status == HttpCacheStatus.Miss);
        Assert.Equal(HttpCacheStatus.Miss, CacheStatus(headResponse));

        // Now stored: a HEAD is answered from it, headers only, without a run.
        using var hit = await app.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/cold"));
        Assert.Equal(HttpCacheStatus.Hit, CacheStatus(hit));
        Assert.Equal(6, hit.Content.Headers.ContentLength);
        Assert.Empty(await hit.Content.ReadAsByteArrayAsync());
        Assert.Equal(21, held.Misses);
        Assert.Equal(1, Volatile.Read(ref heads));
    }

    [Fact]
    public async Task Middleware_StaleHeadHit_AnsweredStaleWithoutRunning()
    {
        int runs = 0;
        await using var app = await TestApp.StartAsync(Options(), app => app.Run(context =>
        {
            Interlocked.Increment(ref runs);
            return context.Response.WriteAsync("hello");
        }));
        using (await app.Client.GetAsync("/s")) { }
        _time.Advance(FreshFor + TimeSpan.FromSeconds(1));

        using var head = await app.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/s"));

        Assert.Equal(HttpCacheStatus.Stale, CacheStatus(head));
        Assert.Equal(5, head.Content.Headers.ContentLength);
        Assert.Empty(await head.Content.ReadAsByteArrayAsync());
        Assert.Equal(1, Volatile.Read(ref runs));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Middleware_CacheFuncOption_HeadAnsweredFromCacheOnlyWhenItsAdapterIsSet(bool withCache)
    {
        var methods = new List<string>();
        var func = new CacheFunc(_cache, new CacheFuncOptions { WaitFor = WaitFor, FreshFor = FreshFor, Ttl = TimeSpan.FromHours(1), TimeProvider = _time });
        var options = new HybridResponseCachingOptions { CacheFunc = func, Cache = withCache ? _cache : null, TimeProvider = _time };
        await using var app = await TestApp.StartAsync(options, app => app.Run(context =>
        {
            lock (methods)
            {
                methods.Add(context.Request.Method);
            }

            return context.Response.WriteAsync("hello");
        }));
        using (await app.Client.GetAsync("/f")) { }

        using var head = await app.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/f"));

        Assert.Equal(withCache ? HttpCacheStatus.Hit : HttpCacheStatus.Miss, CacheStatus(head));
        Assert.Equal(withCache ? ["GET"] : ["GET", "HEAD"], methods);
    }

    [Fact]
    public async Task Middleware_MultiValuedAndHopByHopHeaders_ReplayedSeparatelyWithoutHopByHop()
    {
        await using var app = await TestApp.StartAsync(Options(), app => app.Run(context =>
        {
            context.Response.Headers.Append("X-Multi", new StringValues(["a, b", "c"]));
            context.Response.Headers.Connection = "X-Hop";
            context.Response.Headers["X-Hop"] = "1";
            context.Response.Headers["Keep-Alive"] = "timeout=5";
            return context.Response.WriteAsync("m");
        }));
        using (await app.Client.GetAsync("/multi")) { }

        using var hit = await app.Client.GetAsync("/multi");

        Assert.Equal(HttpCacheStatus.Hit, CacheStatus(hit));
        Assert.Equal(["a, b", "c"], hit.Headers.GetValues("X-Multi"));
        Assert.False(hit.Headers.Contains("X-Hop"));
        Assert.False(hit.Headers.Contains("Keep-Alive"));
        Assert.True(CachePayload.TryRead((await _cache.GetAsync("http://localhost/multi"))!, out var payload));
        Assert.Equal(["a, b", "c"], payload.ReadHeader()!["X-Multi"]);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Middleware_BodyOverMaximumBodySize_StreamsThroughUncached(bool lengthKnown)
    {
        byte[] big = Enumerable.Range(0, 10_000).Select(i => (byte)i).ToArray();
        int runs = 0;
        await using var app = await TestApp.StartAsync(Options(o => o.MaximumBodySize = 1024), app => app.Run(async context =>
        {
            Interlocked.Increment(ref runs);
            if (lengthKnown)
            {
                context.Response.ContentLength = big.Length;
            }

            for (int offset = 0; offset < big.Length; offset += 1000)
            {
                await context.Response.Body.WriteAsync(big.AsMemory(offset, 1000));
            }
        }));

        using var first = await app.Client.GetAsync("/big");
        using var second = await app.Client.GetAsync("/big");

        Assert.Equal(big, await first.Content.ReadAsByteArrayAsync());
        Assert.Equal(big, await second.Content.ReadAsByteArrayAsync());
        Assert.Equal(HttpCacheStatus.Miss, CacheStatus(second));
        Assert.Equal(2, runs);
        Assert.Null(await _cache.GetAsync("http://localhost/big"));
    }

    [Fact]
    public async Task Middleware_PipelineException_PropagatesUnchangedAndIsNotCached()
    {
        var failure = new InvalidOperationException("boom");
        var caught = new List<Exception>();
        int runs = 0;
        await using var app = await TestApp.StartAsync(
            Options(),
            app => app.Run(_ =>
            {
                Interlocked.Increment(ref runs);
                throw failure;
            }),
            outer: async (context, next) =>
            {
                try
                {
                    await next(context);
                }
                catch (Exception ex)
                {
                    lock (caught)
                    {
                        caught.Add(ex);
                    }

                    context.Response.StatusCode = StatusCodes.Status500InternalServerError;
                }
            });

        using var first = await app.Client.GetAsync("/fail");
        using var second = await app.Client.GetAsync("/fail");

        Assert.Equal(HttpStatusCode.InternalServerError, second.StatusCode);
        Assert.Equal(2, runs);
        Assert.Equal(2, caught.Count);
        Assert.All(caught, ex => Assert.Same(failure, ex));
    }

    [Fact]
    public async Task Middleware_RunSlowerThanWaitFor_LeaderAndWaiterAnswer504()
    {
        int entered = 0;
        int runs = 0;
        await using var app = await TestApp.StartAsync(
            Options(),
            app => app.Run(async context =>
            {
                Interlocked.Increment(ref runs);
                await Task.Delay(Timeout.Infinite, context.RequestAborted);
            }),
            outer: CountEntered(() => Interlocked.Increment(ref entered)));

        var leader = app.Client.GetAsync("/slow");
        await EventuallyAsync(() => Volatile.Read(ref entered) == 1 && Volatile.Read(ref runs) == 1);
        var waiter = app.Client.GetAsync("/slow");
        await EventuallyAsync(() => Volatile.Read(ref entered) == 2);
        _time.Advance(WaitFor);

        using var leaderResponse = await leader;
        using var waiterResponse = await waiter;
        Assert.Equal(HttpStatusCode.GatewayTimeout, leaderResponse.StatusCode);
        Assert.Equal(HttpStatusCode.GatewayTimeout, waiterResponse.StatusCode);
        Assert.Equal(1, runs);
    }

    [Fact]
    public async Task Middleware_TimeoutWithErrorHandler_HandlerAnswers()
    {
        int entered = 0;
        Exception? seen = null;
        await using var app = await TestApp.StartAsync(
            Options(o => o.ErrorHandler = (context, ex) =>
            {
                seen = ex;
                context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                return context.Response.WriteAsync("busy");
            }),
            app => app.Run(context => Task.Delay(Timeout.Infinite, context.RequestAborted)),
            outer: CountEntered(() => Interlocked.Increment(ref entered)));

        var pending = app.Client.GetAsync("/slow");
        await EventuallyAsync(() => Volatile.Read(ref entered) == 1);
        _time.Advance(WaitFor);
        using var response = await pending;

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("busy", await response.Content.ReadAsStringAsync());
        Assert.IsType<TimeoutException>(seen);
    }

    [Fact]
    public async Task Middleware_LeaderResponse_StreamsToClientBeforeItCompletes()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var app = await TestApp.StartAsync(Options(), app => app.Run(async context =>
        {
            await context.Response.WriteAsync("first;");
            await context.Response.Body.FlushAsync();
            await gate.Task;
            await context.Response.WriteAsync("second");
        }));

        using var response = await app.Client.GetAsync("/stream", HttpCompletionOption.ResponseHeadersRead).WaitAsync(TimeSpan.FromSeconds(10));
        var stream = await response.Content.ReadAsStreamAsync();
        var firstPart = new byte[6];
        await stream.ReadExactlyAsync(firstPart).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("first;", Encoding.UTF8.GetString(firstPart));
        gate.SetResult();
        string rest = await new StreamReader(stream).ReadToEndAsync();
        using var hit = await app.Client.GetAsync("/stream");

        Assert.Equal("second", rest);
        Assert.Equal(HttpCacheStatus.Miss, CacheStatus(response));
        Assert.Equal("first;second", await hit.Content.ReadAsStringAsync());
        Assert.Equal(HttpCacheStatus.Hit, CacheStatus(hit));
    }

    [Fact]
    public async Task Middleware_UnshareableLeaderResponse_WaitersRunTheirOwnPipeline()
    {
        int entered = 0;
        int runs = 0;
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var app = await TestApp.StartAsync(
            Options(),
            app => app.Run(async context =>
            {
                int n = Interlocked.Increment(ref runs);
                if (n == 1)
                {
                    await gate.Task;
                }

                context.Response.Cookies.Append("session", $"s{n}");
                await context.Response.WriteAsync($"user {n}");
            }),
            outer: CountEntered(() => Interlocked.Increment(ref entered)));

        var leader = app.Client.GetAsync("/me");
        await EventuallyAsync(() => Volatile.Read(ref runs) == 1 && Volatile.Read(ref entered) == 1);
        var waiter = app.Client.GetAsync("/me");
        await EventuallyAsync(() => Volatile.Read(ref entered) == 2);
        gate.SetResult();
        using var leaderResponse = await leader;
        using var waiterResponse = await waiter;

        Assert.Equal("user 1", await leaderResponse.Content.ReadAsStringAsync());
        Assert.Equal("user 2", await waiterResponse.Content.ReadAsStringAsync());
        Assert.Contains("session=s1", leaderResponse.Headers.GetValues("Set-Cookie").Single(), StringComparison.Ordinal);
        Assert.Contains("session=s2", waiterResponse.Headers.GetValues("Set-Cookie").Single(), StringComparison.Ordinal);
        Assert.Equal(HttpCacheStatus.Miss, CacheStatus(waiterResponse));
        Assert.Null(await _cache.GetAsync("http://localhost/me"));
    }

    [Fact]
    public async Task Middleware_LeaderClientDisconnects_WaiterStillGetsTheResponse()
    {
        int entered = 0;
        int runs = 0;
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var app = await TestApp.StartAsync(
            Options(),
            app => app.Run(async context =>
            {
                Interlocked.Increment(ref runs);
                await context.Response.WriteAsync("part one, ");
                await gate.Task.WaitAsync(context.RequestAborted);
                await context.Response.WriteAsync("part two");
            }),
            outer: CountEntered(() => Interlocked.Increment(ref entered)));

        using var leaderGone = new CancellationTokenSource();
        var leader = app.Client.GetAsync("/shared", HttpCompletionOption.ResponseContentRead, leaderGone.Token);
        await EventuallyAsync(() => Volatile.Read(ref runs) == 1 && Volatile.Read(ref entered) == 1);
        var waiter = app.Client.GetAsync("/shared");
        await EventuallyAsync(() => Volatile.Read(ref entered) == 2);
        leaderGone.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => leader);
        gate.SetResult();
        using var waiterResponse = await waiter;

        Assert.Equal(HttpStatusCode.OK, waiterResponse.StatusCode);
        Assert.Equal("part one, part two", await waiterResponse.Content.ReadAsStringAsync());
        Assert.Equal(1, runs);
    }

    [Fact]
    public async Task Middleware_ShareableLeaderResponse_WaiterGetsItWithoutRunning()
    {
        int entered = 0;
        int runs = 0;
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var app = await TestApp.StartAsync(
            Options(),
            app => app.Run(async context =>
            {
                int n = Interlocked.Increment(ref runs);
                await gate.Task;
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                await context.Response.WriteAsync($"missing {n}");
            }),
            outer: CountEntered(() => Interlocked.Increment(ref entered)));

        var leader = app.Client.GetAsync("/nothing");
        await EventuallyAsync(() => Volatile.Read(ref runs) == 1 && Volatile.Read(ref entered) == 1);
        var waiter = app.Client.GetAsync("/nothing");
        await EventuallyAsync(() => Volatile.Read(ref entered) == 2);
        gate.SetResult();
        using var leaderResponse = await leader;
        using var waiterResponse = await waiter;

        Assert.Equal(HttpStatusCode.NotFound, waiterResponse.StatusCode);
        Assert.Equal("missing 1", await waiterResponse.Content.ReadAsStringAsync());
        Assert.Equal(1, runs);
        Assert.Null(await _cache.GetAsync("http://localhost/nothing"));
    }

    [Fact]
    public async Task Middleware_EntryWrittenByGo_IsServed()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2023, 11, 14, 22, 0, 0, TimeSpan.Zero));
        await using var cache = new MemoryCache(100, 1 << 20, TimeSpan.Zero, time);
        // SPEC §6: {BestBefore: 1700000000 s, Value: "hi", Header: {Content-Type: [text/plain]}, StatusCode: 200, V: 1}
        await cache.SetAsync("http://localhost/go", Convert.FromHexString("85aa426573744265666f7265d6ff6553f100a556616c7565c4026869a648656164657281ac436f6e74656e742d5479706591aa746578742f706c61696eaa537461747573436f6465ccc8a15601"), TimeSpan.FromHours(1));
        int runs = 0;
        await using var app = await TestApp.StartAsync(
            new HybridResponseCachingOptions { Cache = cache, TimeProvider = time },
            app => app.Run(context =>
            {
                Interlocked.Increment(ref runs);
                return context.Response.WriteAsync("from app");
            }));

        using var response = await app.Client.GetAsync("/go");

        Assert.Equal("hi", await response.Content.ReadAsStringAsync());
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.ToString());
        Assert.Equal(HttpCacheStatus.Hit, CacheStatus(response));
        Assert.Equal(0, runs);
    }

    [Fact]
    public void UseHybridResponseCaching_NeitherCacheNorCacheFunc_Throws()
        => Assert.Throws<ArgumentException>(() => new HybridResponseCachingOptions().Validate());
}
