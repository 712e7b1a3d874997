using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace HybridCaching.AspNetCore.Tests;

public sealed class ServiceCollectionTests
{
    [Fact]
    public async Task UseHybridResponseCaching_OptionsFromAddHybridResponseCaching_CachesInRegisteredAdapter()
    {
        var memory = new MemoryCache(100, 1 << 20, TimeSpan.FromHours(1));
        var computed = 0;
        await using var app = await TestApp.StartAsync(
            options: null,
            endpoints: a =>
            {
                a.UseHybridResponseCaching();
                a.MapGet("/", () => $"computed #{Interlocked.Increment(ref computed)}");
            },
            services: s =>
            {
                s.AddSingleton<ICacheAdapter>(memory);
                s.AddHybridResponseCaching(o => o.FreshFor = TimeSpan.FromMinutes(5));
            });

        var first = await app.Client.GetStringAsync("/");
        var second = await app.Client.GetStringAsync("/");

        Assert.Equal(("computed #1", "computed #1"), (first, second));
        Assert.Equal(1, memory.Count);
    }

    [Fact]
    public async Task UseHybridResponseCaching_WithoutAddHybridResponseCaching_ThrowsNamingTheFix()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => TestApp.StartAsync(
            options: null,
            endpoints: a => a.UseHybridResponseCaching()));
        Assert.Contains("AddHybridResponseCaching", error.Message, StringComparison.Ordinal);
    }
}
