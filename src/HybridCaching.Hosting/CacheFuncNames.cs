using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace HybridCaching.Hosting;

// The names AddCacheFunc added, so that asking for a CacheFunc under another name fails naming the key and the added names:
// DI's own message names neither. A keyed CacheFunc under any other key resolves to a factory that throws that message,
// and at start every service whose constructors all ask for such a CacheFunc ([FromKeyedServices]) is reported, as
// ValidateOnBuild would have (that fallback registration satisfies it).
internal sealed class CacheFuncNames(IServiceCollection services) : IValidateOptions<CacheFuncNames.Check>
{
    private readonly List<string> _names = [];

    // Records name; false when it was added already.
    public static bool Add(IServiceCollection services, string name)
    {
        var names = services.Where(d => !d.IsKeyedService).Select(d => d.ImplementationInstance).OfType<CacheFuncNames>().FirstOrDefault();
        if (names is null)
        {
            names = new CacheFuncNames(services);
            services.AddSingleton<IValidateOptions<Check>>(names);
            services.AddOptions<Check>().ValidateOnStart();
            services.AddKeyedSingleton<CacheFunc>(KeyedService.AnyKey, (_, key) => throw new InvalidOperationException("Resolving a keyed CacheFunc: " + names.NotAdded(key)));
        }

        if (names._names.Contains(name, StringComparer.Ordinal))
        {
            return false;
        }

        names._names.Add(name);
        return true;
    }

    public ValidateOptionsResult Validate(string? name, Check options)
    {
        var problems = new List<string>();
        foreach (var service in services)
        {
            var type = service.IsKeyedService ? service.KeyedImplementationType : service.ImplementationType;
            var missing = type?.GetConstructors().Select(c => c.GetParameters().Select(MissingKey).FirstOrDefault(k => k is not null)).ToList();
            if (missing is { Count: > 0 } && missing.TrueForAll(k => k is not null))
            {
                problems.Add($"{type} asks for a keyed CacheFunc: {NotAdded(missing[0])}");
            }
        }

        return problems.Count > 0 ? ValidateOptionsResult.Fail(problems) : ValidateOptionsResult.Success;
    }

    private string NotAdded(object? key)
        => $"no CacheFunc named \"{key}\" is added; the added ones are {string.Join(", ", _names)}. "
            + $"Call AddCacheFunc(\"{key}\") on AddHybridCaching(), or ask for one of those.";

    private object? MissingKey(ParameterInfo parameter)
        => parameter.ParameterType == typeof(CacheFunc) && parameter.GetCustomAttribute<FromKeyedServicesAttribute>()?.Key is { } key
            && !(key is string name && _names.Contains(name, StringComparer.Ordinal))
                ? key
                : null;

    // The options type validated at start; it holds nothing.
    internal sealed class Check;
}
