using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;

namespace HybridCaching.Tests.Diagnostics;

/// <summary>An outage is logged without flooding: the first failure in full, reminders at most every 30 s with a count,
/// one line when it ends; long keys are cut.</summary>
public sealed class FailureLogTests
{
    private readonly FakeLogger _logger = new();
    private readonly FakeTimeProvider _time = new();
    private readonly FailureLog _log;

    public FailureLogTests() => _log = new FailureLog(_logger, _time, "redis");

    [Fact]
    public void Failed_ManyTimesWithinTheInterval_LogsTheFirstInFullAndNothingElse()
    {
        for (var i = 0; i < 100; i++)
        {
            _log.Failed("read", "k" + i, new InvalidOperationException("down " + i));
            _time.Advance(TimeSpan.FromMilliseconds(100));
        }

        var record = Assert.Single(_logger.Collector.GetSnapshot());
        Assert.Equal((LogLevel.Warning, 1100), (record.Level, record.Id.Id));
        Assert.Equal("down 0", record.Exception?.Message);
        Assert.Contains("'k0'", record.Message, StringComparison.Ordinal);
        Assert.True(_log.IsFailing);
    }

    [Fact]
    public void Failed_AfterTheInterval_RemindsWithTheCountAndNoStackTrace()
    {
        _log.Failed("read", "a", new InvalidOperationException("first"));
        for (var i = 0; i < 9; i++)
        {
            _log.Failed("write", "b", new InvalidOperationException("again"));
        }

        _time.Advance(FailureLog.ReminderInterval);
        _log.Failed("write", "c", new TimeoutException("slow"));

        var records = _logger.Collector.GetSnapshot();
        Assert.Equal(2, records.Count);
        var reminder = records[1];
        Assert.Equal((LogLevel.Warning, 1101), (reminder.Level, reminder.Id.Id));
        Assert.Null(reminder.Exception);
        Assert.Contains("10 failures", reminder.Message, StringComparison.Ordinal);
        Assert.Contains("TimeoutException: slow", reminder.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Succeeded_AfterAnOutage_LogsOneRecoveryLine_ThenANewOutageStartsAgain()
    {
        _log.Succeeded();
        Assert.Empty(_logger.Collector.GetSnapshot());

        _log.Failed("read", "a", new InvalidOperationException("x"));
        _log.Failed("read", "a", new InvalidOperationException("x"));
        _time.Advance(TimeSpan.FromSeconds(5));
        _log.Succeeded();
        _log.Succeeded();
        _log.Failed("read", "a", new InvalidOperationException("y"));

        var records = _logger.Collector.GetSnapshot();
        Assert.Equal([1100, 1102, 1100], records.Select(r => r.Id.Id));
        Assert.Equal(LogLevel.Information, records[1].Level);
        Assert.Contains("2 failures", records[1].Message, StringComparison.Ordinal);
        Assert.Contains("00:00:05", records[1].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Failed_HugeKey_IsCutInTheLogLine()
    {
        var key = new string('k', 10_000);
        _log.Failed("read", key, new InvalidOperationException("x"));

        var message = Assert.Single(_logger.Collector.GetSnapshot()).Message;
        Assert.DoesNotContain(key, message, StringComparison.Ordinal);
        Assert.Contains(new string('k', LoggedKey.MaximumLength) + "…(9872 more)", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HybridOverADownUpstream_HundredCalls_OneWarning()
    {
        await using var memory = new MemoryCache(1000, 1 << 20, TimeSpan.Zero, _time);
        await using var hybrid = new HybridCache(new FaultyCacheAdapter(), memory, _logger, _time);
        var func = new CacheFunc(hybrid, new CacheFuncOptions { TimeProvider = _time, Logger = _logger });

        for (var i = 0; i < 100; i++)
        {
            Assert.Equal(i, await func.DoAsync($"k{i}", _ => Task.FromResult(i)));
        }

        var warning = Assert.Single(_logger.Collector.GetSnapshot(), r => r.Level >= LogLevel.Warning);
        Assert.Equal(1100, warning.Id.Id);
        Assert.NotNull(warning.Exception);
    }

    [Fact]
    public async Task CacheFuncOverADownCache_HundredCalls_OneWarning()
    {
        var func = new CacheFunc(new FaultyCacheAdapter(), new CacheFuncOptions { TimeProvider = _time, Logger = _logger });

        for (var i = 0; i < 100; i++)
        {
            await Assert.ThrowsAnyAsync<Exception>(async () => await func.DoAsync($"k{i}", _ => Task.FromResult(i)));
        }

        Assert.Single(_logger.Collector.GetSnapshot(), r => r.Level >= LogLevel.Warning);
    }
}
