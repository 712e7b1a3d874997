using HybridCaching;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace ConsoleDemo;

/// <summary>The README's quick start in the DI form, kept here so it compiles with every build.</summary>
internal static class QuickStartDependencyInjection
{
    public static void Register(IServiceCollection services, IConfiguration configuration)
    {
        // appsettings.json: "HybridCaching": { "Memory": {...}, "Redis": { "Configuration": "localhost:6379" },
        //                                      "CacheFuncs": { "default": {...}, "products": { "FreshFor": "00:00:30" } } }
        services.AddHybridCaching(configuration.GetSection("HybridCaching"))
            .AddHybrid()                 // Redis upstream + memory downstream
            .AddCacheFunc()              // CacheFunc
            .AddCacheFunc("products")    // [FromKeyedServices("products")] CacheFunc
            .AddRedisHealthCheck();
    }

    public static Task<List<Item>> GetItemsAsync(IServiceProvider services, ItemStore db, int id)
    {
        var products = services.GetRequiredKeyedService<CacheFunc>("products");
        return products.DoAsync($"items:{id}", ct => db.LoadItemsAsync(id, ct)).AsTask();
    }
}
