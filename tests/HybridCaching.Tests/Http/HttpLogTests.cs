using HybridCaching.Http;
using HybridCaching.Testing;

namespace HybridCaching.Tests.Http;

public sealed class HttpLogTests
{
    [Fact]
    public void HttpLog_EventIds_UniqueNamedAndInTheHttpRange() => LogEventAssert.UniqueNamedInRange(typeof(HttpLog), 2000, 2999);
}
