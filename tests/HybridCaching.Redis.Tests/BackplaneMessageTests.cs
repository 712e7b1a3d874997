namespace HybridCaching.Redis.Tests;

/// <summary>The backplane's wire format read back (what arrives from Redis is untrusted).</summary>
public sealed class BackplaneMessageTests
{
    private static readonly byte[] Sender = [1, 2, 3, 4, 5, 6, 7, 8];

    [Fact]
    public void TryRead_KeysMessageWithAnEmptyKey_SkipsItAndKeepsTheOthers()
    {
        var message = Assert.Single(BackplaneMessage.Keys(Sender, ["k1", "", "k2"]));

        Assert.True(BackplaneMessage.TryRead(message, out var sender, out var cleared, out var keys));

        Assert.Equal(Sender, sender.ToArray());
        Assert.False(cleared);
        Assert.Equal(["k1", "k2"], keys);
    }

    [Fact]
    public void TryRead_OnlyEmptyKeys_IsReadWithNoKeys()
    {
        var message = Assert.Single(BackplaneMessage.Keys(Sender, ["", ""]));

        Assert.True(BackplaneMessage.TryRead(message, out _, out var cleared, out var keys));

        Assert.False(cleared);
        Assert.Empty(keys);
    }

    [Fact]
    public void TryRead_KeysMessageWithoutKeysOrTruncated_IsMalformed()
    {
        var message = Assert.Single(BackplaneMessage.Keys(Sender, ["k1"]));

        Assert.False(BackplaneMessage.TryRead(message.AsSpan(0, 10), out _, out _, out _)); // the header alone
        Assert.False(BackplaneMessage.TryRead(message.AsSpan(0, message.Length - 1), out _, out _, out _));
    }
}
