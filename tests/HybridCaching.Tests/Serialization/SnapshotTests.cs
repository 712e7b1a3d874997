using System.Runtime.CompilerServices;
using HybridCaching.Serialization;

namespace HybridCaching.Tests.Serialization;

/// <summary>
/// The stored formats, byte for byte. A failure here means cached entries written by an earlier version (or by Go)
/// would no longer be read the same way: change the format deliberately, then regenerate the snapshots by running
/// the tests once with <c>HC_UPDATE_SNAPSHOTS=1</c> and commit the new files.
/// </summary>
public class SnapshotTests
{
    private static readonly DateTimeOffset BestBefore = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);

    public static OrderSnapshot SampleOrder() => new()
    {
        Id = 1042,
        Customer = "Zoë Example",
        PlacedAt = new DateTime(2024, 5, 6, 7, 8, 9, DateTimeKind.Utc).AddTicks(1_234_567),
        Total = 1234.50m,
        Status = Color.Green,
        Reference = Guid.Parse("6f9619ff-8b86-d011-b42d-00cf4fc964ff"),
        Window = TimeSpan.FromMinutes(90),
        Lines = [new OrderLine("SKU-1", 2, 9.99), new OrderLine("SKU-2", 1, 0.5)],
        Notes = new Dictionary<string, string> { ["gift"] = "yes" },
        Coupon = null,
    };

    [Fact]
    public void PayloadEnvelope_Value_MatchesSnapshot()
    {
        byte[] data = CachePayload.Write(BestBefore.AddTicks(1), "value"u8);

        AssertSnapshot("payload-value.hex", data);
        Assert.True(CachePayload.TryRead(Load("payload-value.hex"), out CachePayload payload));
        Assert.Equal(BestBefore.AddTicks(1), payload.BestBefore);
        Assert.Equal("value"u8.ToArray(), payload.Value.ToArray());
    }

    [Fact]
    public void PayloadEnvelope_Http_MatchesSnapshot()
    {
        var header = new Dictionary<string, IEnumerable<string>>
        {
            ["Content-Type"] = ["text/html; charset=utf-8"],
            ["Vary"] = ["Accept", "Accept-Encoding"],
        };
        byte[] data = CachePayload.Write(BestBefore, "<p>hi</p>"u8, header, 203);

        AssertSnapshot("payload-http.hex", data);
        Assert.True(CachePayload.TryRead(Load("payload-http.hex"), out CachePayload payload));
        Assert.Equal(203, payload.StatusCode);
        Assert.Equal(["Accept", "Accept-Encoding"], payload.ReadHeader()!["vary"]);
    }

    [Fact]
    public void SampleDto_MessagePack_MatchesSnapshot()
    {
        byte[] data = MessagePackCacheSerializer.Default.Serialize(SampleOrder());

        AssertSnapshot("order.hex", data);
        OrderSnapshot read = MessagePackCacheSerializer.Default.Deserialize<OrderSnapshot>(Load("order.hex"));
        Assert.Equal(System.Text.Json.JsonSerializer.Serialize(SampleOrder()), System.Text.Json.JsonSerializer.Serialize(read));
    }

    private static void AssertSnapshot(string name, byte[] actual)
    {
        string path = PathOf(name);
        string hex = Convert.ToHexStringLower(actual);
        if (Environment.GetEnvironmentVariable("HC_UPDATE_SNAPSHOTS") == "1")
        {
            File.WriteAllText(path, hex + "\n");
        }

        Assert.True(File.Exists(path), $"Snapshot {path} is missing; run with HC_UPDATE_SNAPSHOTS=1 to create it.");
        Assert.Equal(File.ReadAllText(path).Trim(), hex);
    }

    private static byte[] Load(string name) => Convert.FromHexString(File.ReadAllText(PathOf(name)).Trim());

    private static string PathOf(string name, [CallerFilePath] string source = "") =>
        Path.Combine(Path.GetDirectoryName(source)!, "Snapshots", name);
}
