using System.Net;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace HybridCaching.Hosting;

// Redis:Configuration must give StackExchange.Redis an endpoint it can connect to: otherwise the start would succeed and
// every call would warn. Messages name the setting and echo only the endpoint parts (never a password).
internal sealed class RedisConfigurationValidation(string settingPath) : IValidateOptions<RedisLevelOptions>
{
    private const string Example = "\"localhost:6379\" (options after commas: \"localhost:6379,password=…,ssl=true\")";

    public ValidateOptionsResult Validate(string? name, RedisLevelOptions options)
        => name != Options.DefaultName || string.IsNullOrWhiteSpace(options.Configuration) || Problem(options.Configuration) is not { } problem
            ? ValidateOptionsResult.Skip
            : ValidateOptionsResult.Fail(problem);

    private string? Problem(string configuration)
    {
        var parts = configuration.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (parts.FirstOrDefault(p => p.Contains("://", StringComparison.Ordinal)) is { } uri)
        {
            var suggestion = Uri.TryCreate(uri, UriKind.Absolute, out var parsed) && parsed.Host.Length > 0
                ? $"\"{parsed.Host}:{(parsed.IsDefaultPort || parsed.Port < 0 ? 6379 : parsed.Port)}{(parsed.Scheme == "rediss" ? ",ssl=true" : string.Empty)}\""
                : Example;
            return $"{settingPath} is a URI ({uri[..uri.IndexOf("://", StringComparison.Ordinal)]}://…), which StackExchange.Redis does not read: write host:port, e.g. {suggestion}"
                + " (a password goes after a comma: \",password=…\").";
        }

        ConfigurationOptions parsedOptions;
        try
        {
            parsedOptions = ConfigurationOptions.Parse(configuration);
        }
        catch (ArgumentException ex)
        {
            return $"{settingPath} is not a StackExchange.Redis configuration string ({ex.Message}); write e.g. {Example}.";
        }

        var unusable = parts.Where(p => !p.Contains('=', StringComparison.Ordinal) && !Usable(ConfigurationOptions.Parse(p).EndPoints)).ToList();
        return unusable.Count > 0 || parsedOptions.EndPoints.Count == 0
            ? $"{settingPath} names no usable endpoint"
                + (unusable.Count > 0 ? $" ({string.Join(", ", unusable.Select(p => $"\"{p}\""))} is not host:port)" : string.Empty)
                + $": write e.g. {Example}."
            : null;
    }

    // What StackExchange.Redis made of one part: no endpoint when the port is not a number, a host name no DNS can hold when
    // the part was not host:port at all.
    private static bool Usable(EndPointCollection endPoints)
        => endPoints.Count > 0 && endPoints.All(e => e is not DnsEndPoint dns || Uri.CheckHostName(dns.Host) != UriHostNameType.Unknown);
}
