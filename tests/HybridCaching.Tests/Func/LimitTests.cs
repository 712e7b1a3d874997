using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;

namespace HybridCaching.Tests.Func;

/// <summary>MaximumKeyLength and MaximumPayloadBytes: beyond them a value is computed and returned, never stored, and the
/// first time each limit is passed is logged once.</summary>
public sealed class LimitTests : IAsyncDisposable
{
    private const int KeyLogId = 1005;
    private const int PayloadLogId = 1006;

    private readonly FakeTimeProvider _time = new();
    private readonly FakeLogger _logger = new();
    private readonly MemoryCache _memory;
    private readonly CacheFunc _func;
    private int _runs;

    public LimitTests()
    {
        _memory = new MemoryCache(10_000, 1 << 24, TimeSpan.Zero, _time);
        _func = new CacheFunc(_memory, new CacheFuncOptions
        {
            WaitFor = TimeSpan.FromSeconds(10),
            MaximumKeyLength = 16,
            MaximumPayloadBytes = 200,
            TimeProvider = _time,
            Logger = _logger,
        });
    }

    public ValueTask DisposeAsync() => _memory.DisposeAsync();

    [Fact]
    public void Defaults_AreMicrosoftHybridCaches()
    {
        var options = new CacheFuncOptions();
        Assert.Equal((1024, 1 << 20), (options.MaximumKeyLength, options.MaximumPayloadBytes));
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, 0)]
    [InlineData(-1, 1)]
    public void Constructor_LimitNotPositive_Throws(int keyLength, int payloadBytes)
        => Assert.Throws<ArgumentOutOfRangeException>(() => new CacheFunc(_memory, new CacheFuncOptions { MaximumKeyLength = keyLength, MaximumPayloadBytes = payloadBytes }));

    [Fact]
    public async Task DoAsync_KeyOverTheLimit_ComputesEveryCall_StoresNothing_LogsOnce()
    {
        var key = new string('k', 17);
        for (var i = 1; i <= 3; i++)
        {
            Assert.Equal($"v{i}", await _func.DoAsync(key, _ => Task.FromResult($"v{Interlocked.Increment(ref _runs)}")));
        }

        Assert.Equal(0, _memory.Count);
        Assert.Single(_logger.Collector.GetSnapshot(), r => r.Id.Id == KeyLogId);
        Assert.False((await _func.TryGetAsync<string>(key)).Found);
    }

    [Fact]
    public async Task DoAsync_KeyAtTheLimit_IsCached()
    {
        var key = new string('k', 16);
        await _func.DoAsync(key, _ => Task.FromResult($"v{Interlocked.Increment(ref _runs)}"));
        Assert.Equal("v1", await _func.DoAsync(key, _ => Task.FromResult($"v{Interlocked.Increment(ref _runs)}")));
        Assert.Empty(_logger.Collector.GetSnapshot());
    }

    [Fact]
    public async Task DoAsync_KeyOverTheLimit_ConcurrentCallersShareOneRun()
    {
        var key = new string('k', 100);
        var release = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var first = _func.DoAsync(key, _ => { Interlocked.Increment(ref _runs); return release.Task; });
        var second = _func.DoAsync(key, _ => { Interlocked.Increment(ref _runs); return release.Task; });
        release.SetResult("shared");

        Assert.Equal(["shared", "shared"], await Task.WhenAll(first.AsTask(), second.AsTask()).WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(1, _runs);
    }

    [Fact]
    public async Task DoAsync_PayloadOverTheLimit_ReturnedNotStored_LogsOnce()
    {
        var big = new string('x', 300);
        Assert.Equal(big, await _func.DoAsync("big", _ => { _runs++; return Task.FromResult(big); }));
        Assert.Equal(big, await _func.DoAsync("big", _ => { _runs++; return Task.FromResult(big); }));
        Assert.Equal(big, await _func.DoAsync("big2", _ => { _runs++; return Task.FromResult(big); }));

        Assert.Equal(3, _runs);
        Assert.Equal(0, _memory.Count);
        var record = Assert.Single(_logger.Collector.GetSnapshot());
        Assert.Equal(PayloadLogId, record.Id.Id);
    }

    [Fact]
    public async Task SetAsync_PayloadOverTheLimit_RemovesTheOlderValue()
    {
        await _func.SetAsync("k", "small");
        await _func.SetAsync("k", new string('x', 300));

        Assert.False((await _func.TryGetAsync<string>("k")).Found);
        Assert.Equal(0, _memory.Count);
    }

    [Fact]
    public async Task SetAsync_KeyOverTheLimit_StoresNothing()
    {
        await _func.SetAsync(new string('k', 17), "v");
        Assert.Equal(0, _memory.Count);
    }

    [Fact]
    public async Task LogLine_HugeKey_IsCut()
    {
        var key = new string('k', 10_000);
        await _func.DoAsync(key, _ => Task.FromResult("v"));

        var message = Assert.Single(_logger.Collector.GetSnapshot()).Message;
        Assert.True(message.Length < 1_000, message);
        Assert.Contains("10000 characters", message, StringComparison.Ordinal);
    }
}
