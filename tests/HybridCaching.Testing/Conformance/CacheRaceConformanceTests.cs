using System.Collections.Concurrent;
using System.Text;

namespace HybridCaching.Testing.Conformance;

/// <summary>
/// The Go suite's Race cases (SPEC §9), run against every adapter that offers the race across servers
/// (<see cref="ICacheRace"/>, a user-written one included): derive, and create the adapter under test in
/// <see cref="CreateAdapterAsync"/>.
/// </summary>
/// <remarks>The result of a run answers later racers for 2 s here, where Go's suite keeps it for 10 ms: Go's adapters
/// suppress duplicates in process before their race, and here that is <see cref="CacheFunc"/>'s job, so every
/// concurrent call below is a racer of its own, like another server's, and must find the result still there.</remarks>
public abstract class CacheRaceConformanceTests : AdapterSuite
{
    // Long enough that no result expires before the last contender of its key looks, however loaded the machine (Go's
    // suite keeps it 10 ms; what is tested is one run per key, not the expiry).
    private static readonly TimeSpan ResultTtl = TimeSpan.FromSeconds(30);

    /// <summary>The race of the adapter under test.</summary>
    protected ICacheRace Race => Cache as ICacheRace ?? throw new InvalidOperationException("The adapter under test is not an ICacheRace.");

    /// <summary>How many concurrent rounds the race test runs (Go: 10 for memory, 5 for Redis).</summary>
    protected virtual int RaceRounds => 10;

    /// <summary>How many keys the race test uses (Go: 10 for memory, 5 for Redis).</summary>
    protected virtual int RaceKeys => 10;

    /// <summary>How long the raced work takes (Go: 100 ms for memory, 300 ms for Redis).</summary>
    protected virtual TimeSpan RaceWork => TimeSpan.FromMilliseconds(100);

    private static byte[] Bytes(string s) => Encoding.UTF8.GetBytes(s);

    private static string? Text(byte[]? b) => b is null ? null : Encoding.UTF8.GetString(b);

    [Fact]
    public async Task RaceAsync_BadArguments_ThrowArgumentExceptions()
    {
        static Task<RaceResult> Work(CancellationToken _) => Task.FromResult(new RaceResult(null));

        var waitFor = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Race.RaceAsync("k", Work, TimeSpan.Zero, TimeSpan.FromSeconds(1)));
        Assert.Equal("waitFor", waitFor.ParamName);
        var ttl = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Race.RaceAsync("k", Work, TimeSpan.FromSeconds(1), TimeSpan.Zero));
        Assert.Equal("ttl", ttl.ParamName);
        await Assert.ThrowsAsync<ArgumentException>(() => Race.RaceAsync("", Work, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1)));
        await Assert.ThrowsAsync<ArgumentNullException>(() => Race.RaceAsync("k", null!, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public async Task RaceAsync_ConcurrentRounds_RunOncePerKeyAndShareTheOutcome()
    {
        var calls = new ConcurrentDictionary<string, int>();
        var prefix = "race-" + Guid.NewGuid().ToString("N")[..8] + "-";

        // Every contender is in the race before any run ends: a run finishing early cannot leave a late one to start afresh.
        var allStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        async Task<RaceResult> Work(string key, CancellationToken token)
        {
            calls.AddOrUpdate(key, 1, (_, n) => n + 1);
            await allStarted.Task.WaitAsync(token);
            await Task.Delay(RaceWork, token);
            return key[prefix.Length..] switch
            {
                "2" => new RaceResult(null),
                "4" => new RaceResult(null),
                "5" => throw new TimeoutException("timeout on 5"),
                var name => new RaceResult(Bytes(name)),
            };
        }

        var runs = new List<(string Key, Task<RaceResult> Run)>();
        for (var round = 0; round < RaceRounds; round++)
        {
            for (var i = 0; i < RaceKeys; i++)
            {
                var key = prefix + i;
                runs.Add((key, Race.RaceAsync(key, token => Work(key, token), TimeSpan.FromSeconds(5), ResultTtl)));
            }
        }

        allStarted.SetResult();

        foreach (var (key, run) in runs)
        {
            switch (key[prefix.Length..])
            {
                case "2" or "4":
                    Assert.Null((await run).Value);
                    break;
                case "5":
                    var error = await Assert.ThrowsAnyAsync<Exception>(() => run);
                    Assert.Contains("timeout on 5", error.Message, StringComparison.Ordinal);
                    break;
                default:
                    var result = await run;
                    Assert.Equal(key[prefix.Length..], Text(result.Value));
                    break;
            }
        }

        Assert.Equal(RaceKeys, calls.Count);
        Assert.All(calls, pair => Assert.Equal(1, pair.Value));
    }
}
