using System.Net;
using System.Net.Http.Headers;
using System.Text;
using HybridCaching.Http;
using HybridCaching.Testing;
using Microsoft.Extensions.Time.Testing;

namespace HybridCaching.Tests.Http;

public sealed class HttpCacheHandlerTests : IAsyncDisposable
{
    private const string Origin = "http://origin.test";
    private static readonly TimeSpan WaitFor = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan FreshFor = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan Ttl = TimeSpan.FromHours(1);

    private readonly FakeTimeProvider _time = new();
    private readonly MemoryCache _cache;

    public HttpCacheHandlerTests() => _cache = new MemoryCache(10_000, 1 << 26, TimeSpan.Zero, _time);

    public ValueTask DisposeAsync() => _cache.DisposeAsync();

    private HttpClient NewClient(FakeOrigin origin, Action<HttpCacheHandlerOptions>? configure = null)
    {
        var options = new HttpCacheHandlerOptions { Cache = _cache, WaitFor = WaitFor, FreshFor = FreshFor, Ttl = Ttl, TimeProvider = _time };
        configure?.Invoke(options);
        return new HttpClient(new HttpCacheHandler(options, origin)) { BaseAddress = new Uri(Origin) };
    }

    private static Task<HttpResponseMessage> Text(string body, HttpStatusCode status = HttpStatusCode.OK)
        => Task.FromResult(new HttpResponseMessage(status) { Content = new StringContent(body) });

    private static string SortedQueryKey(HttpRequestMessage request)
    {
        var uri = request.RequestUri!;
        var query = uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal);
        return uri.GetLeftPart(UriPartial.Path) + "?" + string.Join('&', query);
    }

    // SPEC §9, the Go suite's HTTP table.
    [Fact]
    public async Task SendAsync_GoHttpTable_MatchesEveryRow()
    {
        int counter = 0;
        var origin = new FakeOrigin((_, _) => Text($"value {Volatile.Read(ref counter)}"));
        using var client = NewClient(origin, o =>
        {
            o.RequestKey = SortedQueryKey;
            o.AcceptResponse = (_, response) => !Encoding.UTF8.GetString(response.Body.Span).Contains("value 8", StringComparison.Ordinal);
        });

        (string Method, string Path, string Expected)[] rows =
        [
            ("GET", "/test-1", "value 1"),
            ("GET", "/test-2", "value 2"),
            ("GET", "/test-2", "value 2"),
            ("GET", "/test-3?zaz=baz&baz=zaz", "value 4"),
            ("GET", "/test-3?baz=zaz&zaz=baz", "value 4"),
            ("POST", "/test-3", "value 6"),
            ("POST", "/test-3", "value 7"),
            ("GET", "/test-3", "value 8"),
            ("GET", "/test-3", "value 9"),
        ];
        foreach (var (method, path, expected) in rows)
        {
            Interlocked.Increment(ref counter);
            using var request = new HttpRequestMessage(new HttpMethod(method), path);
            using var response = await client.SendAsync(request);
            Assert.Equal(expected, await response.Content.ReadAsStringAsync());
        }

        Assert.Equal(7, origin.Calls);
    }

    [Fact]
    public async Task SendAsync_SecondGet_IsHitWithAgeAndNoOriginCall()
    {
        var origin = new FakeOrigin((_, _) => Text("hello"));
        using var client = NewClient(origin);

        using var first = await client.GetAsync("/a");
        _time.Advance(TimeSpan.FromSeconds(30));
        using var second = await client.GetAsync("/a");

        Assert.Equal(HttpCacheStatus.Miss, CacheStatus(first));
        Assert.Equal(HttpCacheStatus.Hit, CacheStatus(second));
        Assert.Equal(TimeSpan.FromSeconds(30), second.Headers.Age);
        Assert.Equal("hello", await second.Content.ReadAsStringAsync());
        Assert.Equal("text/plain; charset=utf-8", second.Content.Headers.ContentType?.ToString());
        Assert.Equal(1, origin.Calls);
    }

    [Fact]
    public async Task SendAsync_Post_IsNeverCached()
    {
        var origin = new FakeOrigin((_, _) => Text("posted"));
        using var client = NewClient(origin);

        using var first = await client.PostAsync("/p", new StringContent("x"));
        using var second = await client.PostAsync("/p", new StringContent("x"));

        Assert.Equal(2, origin.Calls);
        Assert.Null(CacheStatus(second));
        Assert.Null(await _cache.GetAsync(Origin + "/p"));
    }

    [Fact]
    public async Task SendAsync_AuthorizationHeader_PassesThroughUncached()
    {
        var origin = new FakeOrigin((_, _) => Text("secret"));
        using var client = NewClient(origin);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "token");

        using var first = await client.GetAsync("/me");
        using var second = await client.GetAsync("/me");

        Assert.Equal(2, origin.Calls);
        Assert.Null(CacheStatus(second));
        Assert.Null(await _cache.GetAsync(Origin + "/me"));
    }

    [Fact]
    public async Task SendAsync_SetCookieResponse_IsNotStored()
        => await AssertNotStoredAsync(response => response.Headers.TryAddWithoutValidation("Set-Cookie", "session=abc"));

    [Fact]
    public async Task SendAsync_NoStoreResponse_IsNotStored()
        => await AssertNotStoredAsync(response => response.Headers.CacheControl = new CacheControlHeaderValue { NoStore = true });

    [Fact]
    public async Task SendAsync_PrivateResponse_IsNotStored()
        => await AssertNotStoredAsync(response => response.Headers.CacheControl = new CacheControlHeaderValue { Private = true, MaxAge = TimeSpan.FromMinutes(1) });

    [Fact]
    public async Task SendAsync_ServerError_IsNotStored()
        => await AssertNotStoredAsync(response => response.StatusCode = HttpStatusCode.InternalServerError);

    [Fact]
    public async Task SendAsync_VaryResponse_IsNotStored()
        => await AssertNotStoredAsync(response => response.Headers.Vary.Add("Accept-Encoding"));

    private async Task AssertNotStoredAsync(Action<HttpResponseMessage> shape)
    {
        int n = 0;
        var origin = new FakeOrigin((_, _) =>
        {
            var response = new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent($"body {Interlocked.Increment(ref n)}") };
            shape(response);
            return Task.FromResult(response);
        });
        using var client = NewClient(origin);

        using var first = await client.GetAsync("/r");
        using var second = await client.GetAsync("/r");

        Assert.Equal("body 2", await second.Content.ReadAsStringAsync());
        Assert.Equal(HttpCacheStatus.Miss, CacheStatus(second));
        Assert.Equal(2, origin.Calls);
        Assert.Null(await _cache.GetAsync(Origin + "/r"));
    }

    [Fact]
    public async Task SendAsync_OriginDownAfterFreshFor_ServesStaleThenRefreshesOnRecovery()
    {
        int version = 1;
        bool down = false;
        var origin = new FakeOrigin((_, _) => Volatile.Read(ref down)
            ? throw new HttpRequestException("origin down")
            : Text($"v{Volatile.Read(ref version)}"));
        using var client = NewClient(origin);

        using (var first = await client.GetAsync("/page"))
        {
            Assert.Equal("v1", await first.Content.ReadAsStringAsync());
        }

        _time.Advance(FreshFor + TimeSpan.FromSeconds(1));
        Volatile.Write(ref down, true);
        Volatile.Write(ref version, 2);

        // Stale keeps being served while background refreshes (three at least) fail.
        int callsWhenDown = origin.Calls;
        await EventuallyAsync(async () =>
        {
            await PassRetryWindowAsync(_time);
            using var stale = await client.GetAsync("/page");
            Assert.Equal("v1", await stale.Content.ReadAsStringAsync());
            Assert.Equal(HttpCacheStatus.Stale, CacheStatus(stale));
            return origin.Calls >= callsWhenDown + 3;
        });

        Volatile.Write(ref down, false);
        string? body = null;
        await EventuallyAsync(async () =>
        {
            await PassRetryWindowAsync(_time);
            using var response = await client.GetAsync("/page");
            body = await response.Content.ReadAsStringAsync();
            return body == "v2" && CacheStatus(response) == HttpCacheStatus.Hit;
        });
        Assert.Equal("v2", body);
    }

    [Fact]
    public async Task SendAsync_StaleHit_RefreshRepeatsRequestAsGetWithItsHeaders()
    {
        var origin = new FakeOrigin((_, _) => Text("content"));
        using var client = NewClient(origin);
        using (await client.GetAsync("/tenant")) { }
        _time.Advance(FreshFor + TimeSpan.FromSeconds(1));

        using (var head = new HttpRequestMessage(HttpMethod.Head, "/tenant"))
        {
            head.Headers.TryAddWithoutValidation("X-Tenant", "blue");
            using var stale = await client.SendAsync(head);
            Assert.Equal(HttpCacheStatus.Stale, CacheStatus(stale));
        }

        await EventuallyAsync(() => Task.FromResult(origin.Calls == 2));
        var refresh = origin.Received.Last();
        Assert.Equal(HttpMethod.Get, refresh.Method);
        Assert.Equal(["blue"], refresh.Headers["X-Tenant"]);
    }

    [Fact]
    public async Task SendAsync_HundredConcurrentColdRequests_OriginCalledOnce()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var origin = new FakeOrigin(async (_, _) =>
        {
            await gate.Task;
            return new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent("shared") };
        });
        using var client = NewClient(origin);

        int started = 0;
        var requests = Enumerable.Range(0, 100).Select(_ => Task.Run(async () =>
        {
            Interlocked.Increment(ref started);
            using var response = await client.GetAsync("/cold");
            return await response.Content.ReadAsStringAsync();
        })).ToArray();
        await EventuallyAsync(() => Task.FromResult(Volatile.Read(ref started) == 100 && origin.Calls == 1));
        gate.SetResult();
        string[] bodies = await Task.WhenAll(requests);

        Assert.Equal(1, origin.Calls);
        Assert.All(bodies, body => Assert.Equal("shared", body));
    }

    [Fact]
    public async Task SendAsync_HeadAfterGet_AnswersHeadersOnlyFromCache()
    {
        var origin = new FakeOrigin((_, _) => Text("hello"));
        using var client = NewClient(origin);
        using (await client.GetAsync("/h")) { }

        using var head = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/h"));

        Assert.Equal(HttpCacheStatus.Hit, CacheStatus(head));
        Assert.Equal(5, head.Content.Headers.ContentLength);
        Assert.Equal("text/plain; charset=utf-8", head.Content.Headers.ContentType?.ToString());
        Assert.Empty(await head.Content.ReadAsByteArrayAsync());
        Assert.Equal(1, origin.Calls);
    }

    [Fact]
    public async Task SendAsync_HeadMiss_GoesToOriginAndStoresNothing()
    {
        var origin = new FakeOrigin((_, _) => Text(string.Empty));
        using var client = NewClient(origin);

        using var head = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/cold-head"));

        Assert.Equal(HttpMethod.Head, origin.Received.Single().Method);
        Assert.Equal(HttpCacheStatus.Miss, CacheStatus(head));
        Assert.Null(await _cache.GetAsync(Origin + "/cold-head"));
    }

    // A HEAD leading the run would hand its waiters a "bypass" (no body to share) and send each GET to the origin.
    [Fact]
    public async Task SendAsync_HeadMissThenConcurrentGets_GetsGoToOriginOnce()
    {
        var held = new HeldRaceCache(_cache);
        var headGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var getGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int gets = 0;
        var origin = new FakeOrigin(async (request, _) =>
        {
            if (request.Method == HttpMethod.Head)
            {
                await headGate.Task;
                return new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent([]) };
            }

            Interlocked.Increment(ref gets);
            await getGate.Task;
            return new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent("shared") };
        });
        using var client = NewClient(origin, o => o.Cache = held);

        var head = client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/cold"));
        await EventuallyAsync(() => Task.FromResult(origin.Calls == 1));
        var requests = Enumerable.Range(0, 20).Select(_ => Task.Run(async () =>
        {
            using var response = await client.GetAsync("/cold");
            return (Status: CacheStatus(response), Body: await response.Content.ReadAsStringAsync());
        })).ToArray();
        // 21 reads found nothing: the HEAD's lookup and each GET's; every GET then waits for the one run.
        await EventuallyAsync(() => Task.FromResult(held.Misses == 21 && Volatile.Read(ref gets) == 1));
        getGate.SetResult();
        held.Release();
        var results = await Task.WhenAll(requests);
        headGate.SetResult();
        using var headResponse = await head;

        Assert.Equal(1, Volatile.Read(ref gets));
        Assert.Equal(21, held.Misses);
        Assert.All(results, r => Assert.Equal("shared", r.Body));
        Assert.Single(results, r => r.Status == HttpCacheStatus.Miss);
        Assert.Equal(HttpMethod.Head, origin.Received.First().Method);
        Assert.Equal(HttpCacheStatus.Miss, CacheStatus(headResponse));

        // Now stored: a HEAD is answered from it, headers only, without a run.
        using var hit = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/cold"));
        Assert.Equal(HttpCacheStatus.Hit, CacheStatus(hit));
        Assert.Equal(6, hit.Content.Headers.ContentLength);
        Assert.Empty(await hit.Content.ReadAsByteArrayAsync());
        Assert.Equal(21, held.Misses);
        Assert.Equal(2, origin.Calls);
    }

    [Fact]
    public async Task SendAsync_StaleHeadWhoseEntryVanishes_LeadsTheRefreshAsGet()
    {
        int version = 0;
        var origin = new FakeOrigin((_, _) => Text($"v{Interlocked.Increment(ref version)}"));
        var vanishing = new VanishingEntryCache(_cache);
        using var client = NewClient(origin, o => o.Cache = vanishing);
        using (await client.GetAsync("/v")) { }
        _time.Advance(FreshFor + TimeSpan.FromSeconds(1));
        vanishing.VanishAfterReads(1);

        using var head = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/v"));

        Assert.Equal(HttpCacheStatus.Hit, CacheStatus(head));
        Assert.Equal(2, head.Content.Headers.ContentLength);
        Assert.Empty(await head.Content.ReadAsByteArrayAsync());
        Assert.Equal([HttpMethod.Get, HttpMethod.Get], origin.Received.Select(r => r.Method));
        using var get = await client.GetAsync("/v");
        Assert.Equal("v2", await get.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task SendAsync_CacheFuncOption_HeadAnsweredFromCacheOnlyWhenItsAdapterIsSet(bool withCache)
    {
        var origin = new FakeOrigin((_, _) => Text("hello"));
        var func = new CacheFunc(_cache, new CacheFuncOptions { WaitFor = WaitFor, FreshFor = FreshFor, Ttl = Ttl, TimeProvider = _time });
        using var client = new HttpClient(new HttpCacheHandler(
            new HttpCacheHandlerOptions { CacheFunc = func, Cache = withCache ? _cache : null, TimeProvider = _time },
            origin)) { BaseAddress = new Uri(Origin) };
        using (await client.GetAsync("/f")) { }

        using var head = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/f"));

        Assert.Equal(withCache ? HttpCacheStatus.Hit : HttpCacheStatus.Miss, CacheStatus(head));
        Assert.Equal(withCache ? 1 : 2, origin.Calls);
        Assert.Equal(HttpMethod.Get, origin.Received.First().Method);
    }

    [Fact]
    public async Task SendAsync_MultiValuedAndHopByHopHeaders_ReplayedSeparatelyWithoutHopByHop()
    {
        var origin = new FakeOrigin((_, _) =>
        {
            var response = new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent("m") };
            response.Headers.TryAddWithoutValidation("X-Multi", ["a, b", "c"]);
            response.Headers.TryAddWithoutValidation("Connection", "X-Hop");
            response.Headers.TryAddWithoutValidation("X-Hop", "1");
            response.Headers.TryAddWithoutValidation("Keep-Alive", "timeout=5");
            return Task.FromResult(response);
        });
        using var client = NewClient(origin);
        using (await client.GetAsync("/multi")) { }

        using var hit = await client.GetAsync("/multi");

        Assert.Equal(HttpCacheStatus.Hit, CacheStatus(hit));
        Assert.Equal(["a, b", "c"], hit.Headers.GetValues("X-Multi"));
        Assert.False(hit.Headers.Contains("X-Hop"));
        Assert.False(hit.Headers.Contains("Keep-Alive"));
        Assert.True(CachePayload.TryRead((await _cache.GetAsync(Origin + "/multi"))!, out var payload));
        Assert.Equal(["a, b", "c"], payload.ReadHeader()!["X-Multi"]);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task SendAsync_BodyOverMaximumBodySize_StreamsThroughUncached(bool lengthKnown)
    {
        byte[] big = Enumerable.Range(0, 10_000).Select(i => (byte)i).ToArray();
        var origin = new FakeOrigin((_, _) => Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK)
        {
            Content = lengthKnown ? new ByteArrayContent(big) : new StreamContent(new UnseekableStream(big)),
        }));
        using var client = NewClient(origin, o => o.MaximumBodySize = 1024);

        using var first = await client.GetAsync("/big");
        using var second = await client.GetAsync("/big");

        Assert.Equal(big, await first.Content.ReadAsByteArrayAsync());
        Assert.Equal(big, await second.Content.ReadAsByteArrayAsync());
        Assert.Equal(HttpCacheStatus.Miss, CacheStatus(second));
        Assert.Equal(2, origin.Calls);
        Assert.Null(await _cache.GetAsync(Origin + "/big"));
    }

    [Fact]
    public async Task SendAsync_OriginThrows_ExceptionReachesCallerAndNothingIsCached()
    {
        var failure = new HttpRequestException("boom");
        var origin = new FakeOrigin((_, _) => throw failure);
        using var client = NewClient(origin);

        var thrown = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync("/fail"));
        await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync("/fail"));

        Assert.Same(failure, thrown);
        Assert.Equal(2, origin.Calls);
    }

    [Fact]
    public async Task SendAsync_OriginSlowerThanWaitFor_ThrowsTimeout()
    {
        var origin = new FakeOrigin(async (_, token) =>
        {
            await Task.Delay(Timeout.Infinite, token);
            return new HttpResponseMessage();
        });
        using var client = NewClient(origin);

        var pending = client.GetAsync("/slow");
        await EventuallyAsync(() => Task.FromResult(origin.Calls == 1));
        _time.Advance(WaitFor);

        await Assert.ThrowsAsync<TimeoutException>(() => pending);
    }

    [Fact]
    public async Task SendAsync_TimeoutWithErrorHandler_ReturnsHandlersResponse()
    {
        var origin = new FakeOrigin(async (_, token) =>
        {
            await Task.Delay(Timeout.Infinite, token);
            return new HttpResponseMessage();
        });
        Exception? seen = null;
        using var client = NewClient(origin, o => o.ErrorHandler = (_, ex) =>
        {
            seen = ex;
            return new HttpResponseMessage(HttpStatusCode.GatewayTimeout);
        });

        var pending = client.GetAsync("/slow");
        await EventuallyAsync(() => Task.FromResult(origin.Calls == 1));
        _time.Advance(WaitFor);
        using var response = await pending;

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.IsType<TimeoutException>(seen);
    }

    [Fact]
    public async Task SendAsync_EntryWrittenByGo_IsServed()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2023, 11, 14, 22, 0, 0, TimeSpan.Zero));
        await using var cache = new MemoryCache(100, 1 << 20, TimeSpan.Zero, time);
        await cache.SetAsync("http://go.test/hi", Convert.FromHexString(CachedHttpResponseTests.GoResponseHex), TimeSpan.FromHours(1));
        var origin = new FakeOrigin((_, _) => Text("from origin"));
        using var client = new HttpClient(new HttpCacheHandler(new HttpCacheHandlerOptions { Cache = cache, TimeProvider = time }, origin));

        using var response = await client.GetAsync("http://go.test/hi");

        Assert.Equal("hi", await response.Content.ReadAsStringAsync());
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.ToString());
        Assert.Equal(HttpCacheStatus.Hit, CacheStatus(response));
        Assert.Equal(0, origin.Calls);
    }

    [Fact]
    public void Constructor_NeitherCacheNorCacheFunc_Throws()
        => Assert.Throws<ArgumentException>(() => new HttpCacheHandler(new HttpCacheHandlerOptions()));

    /// <summary>Answers a given number of reads, then reports every key missing until the next write.</summary>
    private sealed class VanishingEntryCache(ICacheAdapter inner) : ICacheAdapter
    {
        private int _readsLeft = int.MaxValue;

        public void VanishAfterReads(int reads) => Volatile.Write(ref _readsLeft, reads);

        public ValueTask<byte[]?> GetAsync(string key, CancellationToken cancellationToken = default)
            => Interlocked.Decrement(ref _readsLeft) >= 0 ? inner.GetAsync(key, cancellationToken) : ValueTask.FromResult<byte[]?>(null);

        public ValueTask<CacheFetchResult> FetchAsync(string key, CancellationToken cancellationToken = default) => inner.FetchAsync(key, cancellationToken);

        public ValueTask SetAsync(string key, byte[] value, TimeSpan ttl, CancellationToken cancellationToken = default)
        {
            Volatile.Write(ref _readsLeft, int.MaxValue);
            return inner.SetAsync(key, value, ttl, cancellationToken);
        }

        public ValueTask DeleteAsync(IEnumerable<string> keys, CancellationToken cancellationToken = default) => inner.DeleteAsync(keys, cancellationToken);

        public ValueTask ClearAsync(CancellationToken cancellationToken = default) => inner.ClearAsync(cancellationToken);

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;

        public void Dispose()
        {
        }
    }

    private sealed class UnseekableStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}
