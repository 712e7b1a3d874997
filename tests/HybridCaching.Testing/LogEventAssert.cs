using System.Reflection;
using Microsoft.Extensions.Logging;

namespace HybridCaching.Testing;

/// <summary>Checks a source-generated log class against the library's event id ranges.</summary>
public static class LogEventAssert
{
    /// <summary>Every <see cref="LoggerMessageAttribute"/> method of <paramref name="logClass"/> has an id in
    /// [<paramref name="first"/>, <paramref name="last"/>] and a name, and no two share either.</summary>
    public static void UniqueNamedInRange(Type logClass, int first, int last)
    {
        var events = logClass.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)
            .Select(m => m.GetCustomAttribute<LoggerMessageAttribute>())
            .OfType<LoggerMessageAttribute>()
            .ToList();

        Assert.NotEmpty(events);
        Assert.All(events, e => Assert.InRange(e.EventId, first, last));
        Assert.All(events, e => Assert.False(string.IsNullOrEmpty(e.EventName)));
        Assert.Equal(events.Count, events.Select(e => e.EventId).Distinct().Count());
        Assert.Equal(events.Count, events.Select(e => e.EventName).Distinct().Count());
    }
}
