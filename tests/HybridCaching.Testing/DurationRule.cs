using System.Reflection;

namespace HybridCaching.Testing;

/// <summary>What the tests of the WaitFor/FreshFor/Ttl rule (each positive) share, whichever settings type they check.</summary>
public static class DurationRule
{
    /// <summary>Zero and minus one second for each of the three durations.</summary>
    public static TheoryData<string, long> BadDurations()
    {
        var data = new TheoryData<string, long>();
        foreach (var name in new[] { "WaitFor", "FreshFor", "Ttl" })
        {
            data.Add(name, 0);
            data.Add(name, -TimeSpan.TicksPerSecond);
        }

        return data;
    }

    /// <summary>The one message a duration that breaks the rule gets, in code and in configuration alike.</summary>
    public static string Message(string name, TimeSpan value) => $"{name} must be a positive TimeSpan (e.g. \"00:01:00\"); it is \"{value}\".";

    /// <summary>The message configuration's start-up check gives FreshFor longer than Ttl.</summary>
    public static string LongerMessage(string freshForName, string ttlName, TimeSpan freshFor, TimeSpan ttl)
        => $"{freshForName} (\"{freshFor}\") is longer than {ttlName} (\"{ttl}\"): a value would expire before it goes stale. "
            + $"Set {freshForName} to at most \"{ttl}\", or {ttlName} to at least \"{freshFor}\".";

    /// <summary>Asserts that <paramref name="act"/> rejects <paramref name="value"/> as <paramref name="name"/> with the
    /// rule's message.</summary>
    public static void AssertRejected(string name, TimeSpan value, Action act)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(act);
        Assert.Equal(name, error.ParamName);
        Assert.StartsWith(Message(name, value), error.Message, StringComparison.Ordinal);
    }

    /// <summary>Sets property <paramref name="name"/> of <paramref name="settings"/> (init-only ones too); what the setter
    /// throws propagates unwrapped.</summary>
    public static T With<T>(T settings, string name, object value)
    {
        typeof(T).GetProperty(name)!.SetValue(settings, value, BindingFlags.DoNotWrapExceptions, null, null, null);
        return settings;
    }
}
