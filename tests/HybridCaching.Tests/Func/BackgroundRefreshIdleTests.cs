using Microsoft.Extensions.Time.Testing;

namespace HybridCaching.Tests.Func;

public sealed class BackgroundRefreshIdleTests : IAsyncDisposable
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);

    private readonly FakeTimeProvider _time = new();
    private readonly MemoryCache _memory;
    private readonly CacheFunc _func;

    public BackgroundRefreshIdleTests()
    {
        _memory = new MemoryCache(1_000, 1 << 20, TimeSpan.Zero, _time);
        _func = new CacheFunc(_memory, new CacheFuncOptions
        {
            WaitFor = TimeSpan.FromSeconds(10),
            FreshFor = TimeSpan.FromMinutes(1),
            Ttl = TimeSpan.FromHours(1),
            TimeProvider = _time,
        });
    }

    public ValueTask DisposeAsync() => _memory.DisposeAsync();

    [Fact]
    public void WhenBackgroundRefreshesIdleAsync_NoRefresh_CompletesAtOnce()
    {
        Assert.True(_func.WhenBackgroundRefreshesIdleAsync().IsCompletedSuccessfully);
        Assert.Equal(0, _func.PendingBackgroundRefreshes);
    }

    [Fact]
    public async Task WhenBackgroundRefreshesIdleAsync_RefreshRunning_CompletesWhenItHasStored()
    {
        await _func.DoAsync("k", _ => Task.FromResult("v1"));
        _time.Advance(TimeSpan.FromMinutes(2));
        var release = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        Assert.Equal("v1", await _func.DoAsync("k", _ =>
        {
            started.TrySetResult();
            return release.Task;
        }));
        await started.Task.WaitAsync(Guard);
        var idle = _func.WhenBackgroundRefreshesIdleAsync();

        Assert.False(idle.IsCompleted);
        Assert.Equal(1, _func.PendingBackgroundRefreshes);

        release.SetResult("v2");
        await idle.WaitAsync(Guard);

        Assert.Equal(0, _func.PendingBackgroundRefreshes);
        Assert.Equal("v2", await _func.DoAsync("k", _ => Task.FromResult("not called")));
    }

    [Fact]
    public async Task WhenBackgroundRefreshesIdleAsync_RefreshFails_CompletesAfterTheRetryWindow()
    {
        await _func.DoAsync("k", _ => Task.FromResult("v1"));
        _time.Advance(TimeSpan.FromMinutes(2));
        var failed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        Assert.Equal("v1", await _func.DoAsync<string>("k", _ =>
        {
            failed.TrySetResult();
            throw new InvalidOperationException("source down");
        }));
        await failed.Task.WaitAsync(Guard);
        var idle = _func.WhenBackgroundRefreshesIdleAsync();

        // The failed refresh holds its slot for min(2 s, freshFor) on the CacheFunc's clock; advance past it (the
        // delay timer may not be armed yet when the factory has just thrown, so advance until the wait completes).
        for (var i = 0; i < 500 && !idle.IsCompleted; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(2));
            await Task.WhenAny(idle, Task.Delay(TimeSpan.FromMilliseconds(20)));
        }

        await idle.WaitAsync(Guard);
        Assert.Equal(0, _func.PendingBackgroundRefreshes);
        Assert.Equal("v1", await _func.DoAsync("k", _ => Task.FromResult("v3")));
    }

    [Fact]
    public async Task WhenBackgroundRefreshesIdleAsync_Cancelled_ThrowsOperationCanceled()
    {
        await _func.DoAsync("k", _ => Task.FromResult("v1"));
        _time.Advance(TimeSpan.FromMinutes(2));
        var release = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        await _func.DoAsync("k", _ => release.Task);
        using var cts = new CancellationTokenSource();

        var idle = _func.WhenBackgroundRefreshesIdleAsync(cts.Token);
        cts.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => idle.WaitAsync(Guard));
        release.SetResult("v2");
        await _func.WhenBackgroundRefreshesIdleAsync().WaitAsync(Guard);
    }
}
