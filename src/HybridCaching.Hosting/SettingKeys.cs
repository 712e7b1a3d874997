using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace HybridCaching.Hosting;

// The keys a builder's configuration section may hold: the sections some registration reads (BindOptions) and, in each, the
// settable properties of the options bound from it. Checked when the host starts, like every setting: a misspelled key
// would otherwise leave its default in place silently, and a TimeSpan written as a bare number ("30") reads as days.
internal sealed class SettingKeys(IConfiguration configuration, string optionsName) : IValidateOptions<SettingKeys.Check>
{
    internal const string CacheFuncs = "CacheFuncs";

    // The levels' sections, accepted when their level is not added: one file serves an app with and without Redis.
    private static readonly string[] LevelSections = ["Memory", "Redis"];

    private readonly Dictionary<string, Dictionary<string, Type>> _sections = new(StringComparer.OrdinalIgnoreCase);

    // The options name validated at start: the configuration's path.
    public string Name { get; } = optionsName;

    // The check for this configuration in these services, registered (validated on start) the first time.
    public static SettingKeys For(IServiceCollection services, IConfiguration configuration)
    {
        var name = (configuration as IConfigurationSection)?.Path ?? Options.DefaultName;
        if (services.Where(d => !d.IsKeyedService).Select(d => d.ImplementationInstance).OfType<SettingKeys>().FirstOrDefault(k => k.Name == name) is { } added)
        {
            return added;
        }

        var keys = new SettingKeys(configuration, name);
        services.AddSingleton<IValidateOptions<Check>>(keys);
        services.AddOptions<Check>(name).ValidateOnStart();
        return keys;
    }

    // Records that section (relative to the configuration) binds to TOptions.
    public void Add<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicProperties)] TOptions>(string section)
    {
        var settings = _sections.TryGetValue(section, out var added) ? added : _sections[section] = new(StringComparer.OrdinalIgnoreCase);
        foreach (var property in typeof(TOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            if (property.SetMethod is { IsPublic: true } && property.GetIndexParameters().Length == 0
                && !type.IsInterface && !type.IsAbstract && !typeof(Delegate).IsAssignableFrom(type))
            {
                settings[property.Name] = type;
            }
        }
    }

    public ValidateOptionsResult Validate(string? name, Check options)
        => name != Name ? ValidateOptionsResult.Skip
            : ProblemsUnder(configuration, string.Empty).ToList() is { Count: > 0 } problems ? ValidateOptionsResult.Fail(problems)
            : ValidateOptionsResult.Success;

    private IEnumerable<string> ProblemsUnder(IConfiguration node, string relative)
        => node.GetChildren().SelectMany(child => Problems(child, relative, relative.Length == 0 ? child.Key : relative + ":" + child.Key));

    private IEnumerable<string> Problems(IConfigurationSection child, string relative, string path)
    {
        if (_sections.TryGetValue(path, out var settings))
        {
            return SettingProblems(child, settings);
        }

        if (path.Equals(CacheFuncs, StringComparison.OrdinalIgnoreCase) || SectionsUnder(path).Any())
        {
            return ProblemsUnder(child, path);
        }

        if (relative.Length == 0 && (configuration is not IConfigurationSection || LevelSections.Contains(child.Key, StringComparer.OrdinalIgnoreCase)))
        {
            return []; // a root configuration holds the app's own keys too; a level's section is read when the level is added
        }

        if (relative.Equals(CacheFuncs, StringComparison.OrdinalIgnoreCase))
        {
            var added = SectionsUnder(relative).ToList();
            return [$"{child.Path} configures a CacheFunc that is not added: call AddCacheFunc(\"{child.Key}\"), or rename the section"
                + (added.Count == 0 ? " (no CacheFunc is added)." : $" to one of {string.Join(", ", added)} (nearest: {Nearest(child.Key, added)}).")];
        }

        var known = SectionsUnder(relative).Concat(relative.Length == 0 ? LevelSections : []).Append(CacheFuncs).Distinct(StringComparer.OrdinalIgnoreCase);
        return [Unknown(child, known.ToList())];
    }

    private static IEnumerable<string> SettingProblems(IConfigurationSection section, Dictionary<string, Type> settings)
    {
        foreach (var setting in section.GetChildren())
        {
            if (!settings.TryGetValue(setting.Key, out var type))
            {
                yield return Unknown(setting, settings.Keys.ToList());
            }
            else if (type == typeof(TimeSpan)
                && long.TryParse(setting.Value, NumberStyles.AllowLeadingSign | NumberStyles.AllowLeadingWhite | NumberStyles.AllowTrailingWhite, CultureInfo.InvariantCulture, out var number)
                && Math.Abs(number) <= TimeSpan.MaxValue.TotalDays)
            {
                yield return $"{setting.Path} is \"{setting.Value}\", which a TimeSpan reads as {number} days: write "
                    + $"\"{TimeSpan.FromSeconds(number)}\" for {number} seconds, \"{TimeSpan.FromMinutes(number)}\" for {number} minutes, "
                    + $"or \"{TimeSpan.FromDays(number)}\" if {number} days is meant.";
            }
        }
    }

    private static string Unknown(IConfigurationSection key, List<string> known)
    {
        var parent = key.Path[..^key.Key.Length];
        return known.Count == 0
            ? $"{key.Path} is not a key HybridCaching reads."
            : $"{key.Path} is not a key HybridCaching reads: did you mean {parent}{Nearest(key.Key, known)}? (Keys here: {string.Join(", ", known)}.)";
    }

    // The names of the sections read directly under relative (the CacheFuncs' names under "CacheFuncs").
    private IEnumerable<string> SectionsUnder(string relative)
        => _sections.Keys
            .Where(s => relative.Length == 0 || (s.Length > relative.Length && s[relative.Length] == ':' && s.StartsWith(relative, StringComparison.OrdinalIgnoreCase)))
            .Select(s => s[(relative.Length == 0 ? 0 : relative.Length + 1)..].Split(':')[0])
            .Distinct(StringComparer.OrdinalIgnoreCase);

    private static string Nearest(string key, List<string> known)
        => known.MinBy(k => Distance(key.ToUpperInvariant(), k.ToUpperInvariant()))!;

    // Levenshtein distance: the edits from a to b.
    private static int Distance(string a, string b)
    {
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var current = new int[b.Length + 1];
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                current[j] = Math.Min(Math.Min(current[j - 1], previous[j]) + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            }

            previous = current;
        }

        return previous[b.Length];
    }

    // The options type validated at start; it holds nothing.
    internal sealed class Check;
}
