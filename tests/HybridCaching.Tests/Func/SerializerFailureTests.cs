using HybridCaching.Serialization;

namespace HybridCaching.Tests.Func;

// A value the serializer cannot write, or cannot read back, costs one factory run per call, and the caller's exception
// says which type, why (the serializer's innermost exception, as InnerException and in the message) and where to look.
public sealed class SerializerFailureTests : IDisposable
{
    private const string DateOnlyCause = "No hash-resistant equality comparer available for type: System.DateOnly";

    private readonly MemoryCache _memory = new(1000, 1 << 20, TimeSpan.Zero);
    private readonly CacheFunc _func;
    private int _calls;

    public SerializerFailureTests()
    {
        _func = new CacheFunc(_memory, TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5));
    }

    public void Dispose() => _memory.Dispose();

    private Task<Dictionary<DateOnly, int>> ByDay(CancellationToken _)
    {
        Interlocked.Increment(ref _calls);
        return Task.FromResult(new Dictionary<DateOnly, int> { [new DateOnly(2026, 1, 2)] = 1 });
    }

    [Fact]
    public void Serializer_DictionaryOfDateOnly_WritesButCannotReadBack()
    {
        // The premise: the default serializer writes this type, and cannot read it (a fact about MessagePack-CSharp).
        var bytes = MessagePackCacheSerializer.Default.Serialize(new Dictionary<DateOnly, int> { [new DateOnly(2026, 1, 2)] = 1 });

        var error = Assert.ThrowsAny<Exception>(() => MessagePackCacheSerializer.Default.Deserialize<Dictionary<DateOnly, int>>(bytes));

        Assert.Contains(DateOnlyCause, error.GetBaseException().Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DoAsync_ValueThatCannotBeReadBack_RunsTheFactoryOnceAndNamesTypeAndCause()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(async () => await _func.DoAsync("k", ByDay));

        Assert.Equal(1, _calls);
        Assert.NotNull(error.InnerException);
        Assert.Contains(DateOnlyCause, error.InnerException.Message, StringComparison.Ordinal);
        Assert.Contains(DateOnlyCause, error.Message, StringComparison.Ordinal);
        Assert.Contains(typeof(Dictionary<DateOnly, int>).ToString(), error.Message, StringComparison.Ordinal);
        Assert.Contains("docs/serialization.md", error.Message, StringComparison.Ordinal);

        await Assert.ThrowsAsync<InvalidOperationException>(async () => await _func.DoAsync("k", ByDay));
        Assert.Equal(2, _calls);
    }

    [Fact]
    public async Task DoAsync_ConcurrentCallers_NoCallRunsTheFactoryTwice()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        async Task<Dictionary<DateOnly, int>> Slow(CancellationToken token)
        {
            await release.Task;
            return await ByDay(token);
        }

        var calls = Enumerable.Range(0, 8).Select(_ => _func.DoAsync("k", Slow).AsTask()).ToArray();
        release.SetResult();

        foreach (var call in calls)
        {
            var error = await Assert.ThrowsAsync<InvalidOperationException>(() => call.WaitAsync(TimeSpan.FromSeconds(30)));
            Assert.Contains(DateOnlyCause, error.Message, StringComparison.Ordinal);
        }

        Assert.InRange(_calls, 1, calls.Length); // at most one run per call (callers that waited on another's run may run their own)
    }

    [Fact]
    public async Task DoAsync_ValueTheSerializerCannotWrite_NamesTypeAndInnermostCause()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(async () =>
            await _func.DoAsync("k", _ => Task.FromResult(new CacheFuncTypedApiTests.Unserializable())));

        Assert.Equal("cannot read me", error.InnerException?.Message);
        Assert.Contains("cannot read me", error.Message, StringComparison.Ordinal);
        Assert.Contains(typeof(CacheFuncTypedApiTests.Unserializable).ToString(), error.Message, StringComparison.Ordinal);
        Assert.Contains("docs/serialization.md", error.Message, StringComparison.Ordinal);
        Assert.Null(await _memory.GetAsync("k"));
    }
}
