using System.Runtime.InteropServices;
using System.Text;
using HybridCaching.Http;
using HybridCaching.Testing;
using Microsoft.Extensions.Time.Testing;

namespace HybridCaching.Tests.Http;

/// <summary>Memory-level hits through the HTTP response format reuse the response decoded from the entry.</summary>
public sealed class CachedHttpResponseReuseTests : IAsyncDisposable
{
    private readonly FakeTimeProvider _time = new();
    private readonly MemoryCache _memory;
    private readonly CacheFunc _func;

    public CachedHttpResponseReuseTests()
    {
        _memory = new MemoryCache(10_000, 1 << 24, TimeSpan.Zero, _time);
        _func = new CacheFunc(_memory, new CacheFuncOptions
        {
            WaitFor = TimeSpan.FromSeconds(10),
            FreshFor = TimeSpan.FromMinutes(1),
            Ttl = TimeSpan.FromHours(1),
            TimeProvider = _time,
        });
    }

    public ValueTask DisposeAsync() => _memory.DisposeAsync();

    private static CachedHttpResponse Response(string body, params (string Name, string Value)[] headers)
        => new(200, headers.Select(h => new KeyValuePair<string, string[]>(h.Name, [h.Value])), Encoding.UTF8.GetBytes(body));

    // The key "r" through a response format, with a factory that needs no state.
    private ValueTask<CachedHttpResponse> DoAsync(Func<CacheFuncContext, CancellationToken, Task<CachedHttpResponse>> fn, ICachePayloadFormat<CachedHttpResponse> format)
        => _func.DoAsync("r", fn, static (fn, context, token) => fn(context, token), format);

    private static Func<CacheFuncContext, CancellationToken, Task<CachedHttpResponse>> Returns(CachedHttpResponse response)
        => (_, _) => Task.FromResult(response);

    private static Func<CacheFuncContext, CancellationToken, Task<CachedHttpResponse>> NotCalled()
        => (_, _) => throw new InvalidOperationException("the factory must not run");

    [Fact]
    public async Task DoAsync_RepeatedMemoryHits_DecodeOnceAndShareOneResponse()
    {
        var format = new CountingFormat(CachedHttpResponseFormat.Instance);
        await DoAsync(Returns(Response("hello", ("Content-Type", "text/plain"))), format);
        format.Decodes = 0;

        var first = await DoAsync(NotCalled(), format);
        var second = await DoAsync(NotCalled(), format);
        var third = await DoAsync(NotCalled(), format);

        Assert.Equal(1, format.Decodes);
        Assert.Same(first, second);
        Assert.Same(first, third);
        Assert.Equal("hello", Encoding.UTF8.GetString(third.Body.Span));
        Assert.Equal(["text/plain"], third.Headers["Content-Type"]);
    }

    [Fact]
    public async Task DoAsync_MemoryHit_BodyIsASliceOfTheStoredBytesNotACopy()
    {
        await DoAsync(Returns(Response("hello")), CachedHttpResponseFormat.Instance);

        var hit = await DoAsync(NotCalled(), CachedHttpResponseFormat.Instance);

        var stored = await _memory.GetAsync("r");
        Assert.True(MemoryMarshal.TryGetArray(hit.Body, out var segment));
        Assert.Same(stored, segment.Array);
        Assert.Equal("hello", Encoding.UTF8.GetString(hit.Body.Span));
    }

    [Fact]
    public async Task DoAsync_EntryOverwrittenOrDeleted_NextHitSeesTheChange()
    {
        var format = CachedHttpResponseFormat.Instance;
        await DoAsync(Returns(Response("one")), format);
        var reused = await DoAsync(NotCalled(), format);
        Assert.Same(reused, await DoAsync(NotCalled(), format));

        await _memory.SetAsync("r", format.Write(Response("two"), _time.GetUtcNow() + TimeSpan.FromMinutes(1)), TimeSpan.FromHours(1));
        var afterSet = await DoAsync(NotCalled(), format);
        Assert.NotSame(reused, afterSet);
        Assert.Equal("two", Encoding.UTF8.GetString(afterSet.Body.Span));

        await _memory.DeleteAsync(["r"]);
        var afterDelete = await DoAsync(Returns(Response("three")), format);
        Assert.Equal("three", Encoding.UTF8.GetString(afterDelete.Body.Span));
    }

    [Fact]
    public async Task DoAsync_ResponseReusedByVaryAllowedFormat_IsNotServedThroughAFormatThatRefusesIt()
    {
        // The safe-default check depends on the format: a response with Vary, read (and kept) by the format that
        // allows it, must still be refused by the format that does not.
        await DoAsync(Returns(Response("varied", ("Vary", "Accept-Language"))), CachedHttpResponseFormat.VaryAllowed);
        var varied = await DoAsync(NotCalled(), CachedHttpResponseFormat.VaryAllowed);
        Assert.Same(varied, await DoAsync(NotCalled(), CachedHttpResponseFormat.VaryAllowed));

        var strict = await DoAsync(Returns(Response("own")), CachedHttpResponseFormat.Instance);

        Assert.Equal("own", Encoding.UTF8.GetString(strict.Body.Span));
    }

    [Fact]
    public async Task DoAsync_UnshareableEntry_IsRefusedOnEveryHit()
    {
        // Written by another program with a cookie: never decoded into a reusable response, so never served.
        var withCookie = CachedHttpResponseFormat.Instance.Write(Response("secret", ("Set-Cookie", "id=1")), _time.GetUtcNow() + TimeSpan.FromMinutes(1));
        await _memory.SetAsync("r", withCookie, TimeSpan.FromHours(1));
        int runs = 0;

        for (int i = 0; i < 3; i++)
        {
            var response = await DoAsync((context, _) =>
            {
                runs++;
                context.NoCache = true;
                return Task.FromResult(Response("origin"));
            }, CachedHttpResponseFormat.Instance);
            Assert.Equal("origin", Encoding.UTF8.GetString(response.Body.Span));
        }

        Assert.Equal(3, runs);
    }

    /// <summary>Counts what <see cref="CacheFunc"/> asks of a format: full decodes.</summary>
    private sealed class CountingFormat(CachedHttpResponseFormat inner) : ICachePayloadFormat<CachedHttpResponse>
    {
        public int Decodes { get; set; }

        public object? ReuseIdentity => inner.ReuseIdentity;

        public byte[] Write(CachedHttpResponse value, DateTimeOffset bestBefore) => inner.Write(value, bestBefore);

        public bool TryRead(scoped in CachePayload payload, out CachedHttpResponse value)
        {
            Decodes++;
            return inner.TryRead(payload, out value);
        }

        public bool TryReadProduced(CachedHttpResponse produced, scoped in CachePayload payload, out CachedHttpResponse value) => TryRead(payload, out value);
    }
}
