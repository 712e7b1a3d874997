using HybridCaching.Testing;

namespace HybridCaching.AspNetCore.Tests;

public sealed class LogTests
{
    [Fact]
    public void Log_EventIds_UniqueNamedAndInTheAspNetCoreRange() => LogEventAssert.UniqueNamedInRange(typeof(Log), 4000, 4999);
}
