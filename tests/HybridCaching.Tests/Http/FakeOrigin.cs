using System.Collections.Concurrent;

namespace HybridCaching.Tests.Http;

/// <summary>An inner handler standing for the origin server: answers with a test-supplied function and
/// records every request it receives.</summary>
internal sealed class FakeOrigin : HttpMessageHandler
{
    private int _calls;

    public FakeOrigin(Func<HttpRequestMessage, CancellationToken, Task<HttpResponseMessage>> respond) => Respond = respond;

    public Func<HttpRequestMessage, CancellationToken, Task<HttpResponseMessage>> Respond { get; set; }

    public int Calls => Volatile.Read(ref _calls);

    public ConcurrentQueue<(HttpMethod Method, Uri Uri, Dictionary<string, string[]> Headers)> Received { get; } = new();

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Received.Enqueue((request.Method, request.RequestUri!, request.Headers.ToDictionary(h => h.Key, h => h.Value.ToArray(), StringComparer.OrdinalIgnoreCase)));
        Interlocked.Increment(ref _calls);
        return Respond(request, cancellationToken);
    }
}
