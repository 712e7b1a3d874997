using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace HybridCaching.Hosting.Tests;

// Issue 22: each configuration mistake a new user made fails when the host starts (IStartupValidator, what the host runs
// on StartAsync), and its message names the setting and the fix.
public sealed class ConfigurationMistakeTests
{
    [Fact]
    public async Task ValidateOnStart_MisspelledSetting_NamesItAndTheNearestSetting()
    {
        var failures = await StartFailuresAsync(
            """{ "HybridCaching": { "CacheFuncs": { "products": { "FreshFr": "00:00:30" } } } }""", b => b.AddMemory().AddCacheFunc("products"));

        Assert.Equal(
            ["HybridCaching:CacheFuncs:products:FreshFr is not a key HybridCaching reads: did you mean HybridCaching:CacheFuncs:products:FreshFor? "
                + "(Keys here: WaitFor, FreshFor, Ttl, ReuseValues, Name, MaximumKeyLength, MaximumPayloadBytes.)"],
            failures);
    }

    [Fact]
    public async Task HostStartAsync_MisspelledSetting_FailsTheStart()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["HybridCaching:Memory:MaxItem"] = "10" });
        builder.Services.AddHybridCaching(builder.Configuration.GetSection("HybridCaching")).AddMemory();
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.StartsWith("HybridCaching:Memory:MaxItem is not a key HybridCaching reads: did you mean HybridCaching:Memory:MaxItems?", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ValidateOnStart_CacheFuncSectionInsteadOfCacheFuncs_NamesItAndCacheFuncs()
    {
        var failures = await StartFailuresAsync(
            """{ "HybridCaching": { "Memory": { "MaxItems": 10 }, "CacheFunc": { "default": { "FreshFor": "00:00:05" } } } }""", b => b.AddMemory().AddCacheFunc());

        var failure = Assert.Single(failures);
        Assert.StartsWith("HybridCaching:CacheFunc is not a key HybridCaching reads: did you mean HybridCaching:CacheFuncs?", failure, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ValidateOnStart_TimeSpanAsBareNumber_IsRefusedSayingHowToWriteSeconds()
    {
        var failures = await StartFailuresAsync(
            """{ "HybridCaching": { "CacheFuncs": { "default": { "FreshFor": "30" } } } }""", b => b.AddMemory().AddCacheFunc());

        Assert.Contains(
            "HybridCaching:CacheFuncs:default:FreshFor is \"30\", which a TimeSpan reads as 30 days: write \"00:00:30\" for 30 seconds, "
                + "\"00:30:00\" for 30 minutes, or \"30.00:00:00\" if 30 days is meant.",
            failures);
    }

    [Fact]
    public async Task ValidateOnStart_FreshForLongerThanTtl_NamesBothAndTheFix()
    {
        var failures = await StartFailuresAsync(
            """{ "HybridCaching": { "CacheFuncs": { "default": { "FreshFor": "01:00:00", "Ttl": "00:30:00" } } } }""", b => b.AddMemory().AddCacheFunc());

        Assert.Equal(
            [DurationRule.LongerMessage("HybridCaching:CacheFuncs:default:FreshFor", "HybridCaching:CacheFuncs:default:Ttl", TimeSpan.FromHours(1), TimeSpan.FromMinutes(30))],
            failures);
    }

    [Fact]
    public async Task AddCacheFunc_NamedSection_InheritsTheDefaultSectionKeyByKey()
    {
        const string Json = """
            { "HybridCaching": { "CacheFuncs": {
                "default": { "WaitFor": "00:00:05", "Ttl": "00:30:00", "ReuseValues": true },
                "products": { "WaitFor": "00:00:02" } } } }
            """;
        var services = new ServiceCollection();
        services.AddHybridCaching(Section(Json)).AddMemory().AddCacheFunc("products", o => o.FreshFor = TimeSpan.FromSeconds(9)).AddCacheFunc("orders");
        await using var provider = services.BuildServiceProvider();
        provider.GetRequiredService<IStartupValidator>().Validate();
        var monitor = provider.GetRequiredService<IOptionsMonitor<CacheFuncOptions>>();

        var products = monitor.Get("products");
        Assert.Equal((TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(9), TimeSpan.FromMinutes(30), true), (products.WaitFor, products.FreshFor, products.Ttl, products.ReuseValues));
        var orders = monitor.Get("orders");
        Assert.Equal((TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(30), true), (orders.WaitFor, orders.FreshFor, orders.Ttl, orders.ReuseValues));
    }

    [Theory]
    [InlineData("localhost:notaport", "HybridCaching:Redis:Configuration names no usable endpoint (\"localhost:notaport\" is not host:port): write e.g. \"localhost:6379\"")]
    [InlineData("redis://localhost:16379", "HybridCaching:Redis:Configuration is a URI (redis://…), which StackExchange.Redis does not read: write host:port, e.g. \"localhost:16379\"")]
    [InlineData("rediss://user:secret@cache.example:6380", "HybridCaching:Redis:Configuration is a URI (rediss://…), which StackExchange.Redis does not read: write host:port, e.g. \"cache.example:6380,ssl=true\"")]
    [InlineData("abortConnect=false", "HybridCaching:Redis:Configuration names no usable endpoint: write e.g. \"localhost:6379\"")]
    public async Task ValidateOnStart_RedisConfigurationWithNoUsableEndpoint_SaysHowToWriteOne(string configuration, string message)
    {
        var failures = await StartFailuresAsync(
            $$"""{ "HybridCaching": { "Redis": { "Configuration": "{{configuration}}" } } }""", b => b.AddHybrid());

        var failure = Assert.Single(failures);
        Assert.StartsWith(message, failure, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", failure, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("localhost:6379,abortConnect=false")]
    [InlineData("127.0.0.1:1,[::1]:6380,password=p,ssl=false")]
    [InlineData("localhost")]
    public async Task ValidateOnStart_UsableRedisConfiguration_Passes(string configuration)
        => Assert.Empty(await StartFailuresAsync($$"""{ "HybridCaching": { "Redis": { "Configuration": "{{configuration}}" } } }""", b => b.AddRedis()));

    [Fact]
    public async Task ValidateOnStart_CacheFuncSectionNotAdded_NamesItAndTheAddedOnes()
    {
        var failures = await StartFailuresAsync(
            """{ "HybridCaching": { "CacheFuncs": { "default": { "Ttl": "02:00:00" }, "prodcts": { "Ttl": "00:10:00" } } } }""",
            b => b.AddMemory().AddCacheFunc().AddCacheFunc("products"));

        Assert.Equal(
            ["HybridCaching:CacheFuncs:prodcts configures a CacheFunc that is not added: call AddCacheFunc(\"prodcts\"), or rename the section to one of default, products (nearest: products)."],
            failures);
    }

    [Fact]
    public async Task GetRequiredKeyedService_CacheFuncNotAdded_NamesTheKeyAndTheAddedOnes()
    {
        var services = new ServiceCollection();
        services.AddHybridCaching().AddMemory().AddCacheFunc().AddCacheFunc("products");
        await using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
        provider.GetRequiredService<IStartupValidator>().Validate();

        var error = Assert.Throws<InvalidOperationException>(() => provider.GetRequiredKeyedService<CacheFunc>("prodcts"));

        Assert.Equal(
            "Resolving a keyed CacheFunc: no CacheFunc named \"prodcts\" is added; the added ones are default, products. Call AddCacheFunc(\"prodcts\") on AddHybridCaching(), or ask for one of those.",
            error.Message);
        Assert.Equal("products", provider.GetRequiredKeyedService<CacheFunc>("products").Name);
    }

    [Fact]
    public async Task ValidateOnStart_ServiceAskingForACacheFuncNotAdded_NamesTheServiceTheKeyAndTheAddedOnes()
    {
        var services = new ServiceCollection();
        services.AddHybridCaching().AddMemory().AddCacheFunc();
        services.AddSingleton<ProductReader>();
        await using var provider = services.BuildServiceProvider();

        var error = Assert.ThrowsAny<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());

        Assert.Equal(
            [$"{typeof(ProductReader)} asks for a keyed CacheFunc: no CacheFunc named \"products\" is added; the added ones are default. Call AddCacheFunc(\"products\") on AddHybridCaching(), or ask for one of those."],
            error.Failures);
    }

    [Fact]
    public async Task ValidateOnStart_EveryLibrarySectionWellFormed_Passes()
    {
        const string Json = """
            { "HybridCaching": {
                "Memory": { "MaxItems": 10, "maxttl": "00:10:00" },
                "Redis": { "Configuration": "" },
                "CacheFuncs": { "default": { "FreshFor": "00:00:30" }, "products": { "ttl": "02:00:00" } } } }
            """;

        // Redis is not added: its section is accepted (one file for the app with and without Redis), and not read.
        Assert.Empty(await StartFailuresAsync(Json, b => b.AddMemory().AddCacheFunc("products")));
    }

    private static IConfigurationSection Section(string json)
        => new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json))).Build().GetSection("HybridCaching");

    // Every failure the host's start reports, in order (one options type's, or several types' in an AggregateException).
    private static async Task<List<string>> StartFailuresAsync(string json, Action<HybridCachingBuilder> add)
    {
        var services = new ServiceCollection();
        add(services.AddHybridCaching(Section(json)));
        await using var provider = services.BuildServiceProvider();
        try
        {
            provider.GetRequiredService<IStartupValidator>().Validate();
            return [];
        }
        catch (OptionsValidationException error)
        {
            return [.. error.Failures];
        }
        catch (AggregateException error)
        {
            return [.. error.InnerExceptions.OfType<OptionsValidationException>().SelectMany(e => e.Failures)];
        }
    }

    private sealed class ProductReader([FromKeyedServices("products")] CacheFunc cache)
    {
        public CacheFunc Cache { get; } = cache;
    }
}
