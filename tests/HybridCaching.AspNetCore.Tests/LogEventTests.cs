using System.Reflection;
using HybridCaching.Redis;
using Microsoft.Extensions.Logging;

namespace HybridCaching.AspNetCore.Tests;

public sealed class LogEventTests
{
    // Every package of the library: core, Redis, ASP.NET Core.
    private static readonly Assembly[] LibraryAssemblies =
    [
        typeof(CacheFunc).Assembly,
        typeof(RedisCache).Assembly,
        typeof(HybridResponseCachingOptions).Assembly,
    ];

    [Fact]
    public void LoggerMessages_AcrossTheLibrary_HaveUniqueIdsAndNames()
    {
        var events = LibraryAssemblies
            .SelectMany(a => a.GetTypes())
            .SelectMany(t => t.GetMethods(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            .Select(m => (Method: m, Attribute: m.GetCustomAttribute<LoggerMessageAttribute>()))
            .Where(e => e.Attribute is not null)
            .Select(e => (Id: e.Attribute!.EventId, Name: e.Attribute.EventName ?? e.Method.Name, Where: $"{e.Method.DeclaringType!.FullName}.{e.Method.Name}"))
            .ToList();

        Assert.True(events.Count >= 10, $"Only {events.Count} logger messages found: the scan is broken.");
        Assert.All(events, e => Assert.True(e.Id > 0, $"{e.Where} has no event id."));
        Assert.Empty(events.GroupBy(e => e.Id).Where(g => g.Count() > 1).Select(g => $"id {g.Key}: {string.Join(", ", g.Select(e => e.Where))}"));
        Assert.Empty(events.GroupBy(e => e.Name).Where(g => g.Count() > 1).Select(g => $"name {g.Key}: {string.Join(", ", g.Select(e => e.Where))}"));
    }
}
