namespace HybridCaching.Testing.Conformance;

/// <summary>What every conformance suite shares: a fresh adapter under test for each test, disposed after it.</summary>
public abstract class AdapterSuite : IAsyncLifetime
{
    private ICacheAdapter? _cache;

    /// <summary>The adapter under test, created fresh for each test.</summary>
    protected ICacheAdapter Cache => _cache ?? throw new InvalidOperationException("Not initialized.");

    protected abstract Task<ICacheAdapter> CreateAdapterAsync();

    public async Task InitializeAsync() => _cache = await CreateAdapterAsync();

    public async Task DisposeAsync()
    {
        if (_cache is not null)
        {
            await _cache.DisposeAsync();
        }
    }
}
