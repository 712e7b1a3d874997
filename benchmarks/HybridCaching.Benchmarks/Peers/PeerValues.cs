namespace HybridCaching.Benchmarks.Peers;

/// <summary>The values every library caches: the same instances everywhere.</summary>
internal static class PeerValues
{
    public const string Text = "Ada Lovelace <ada@example.com>";

    public static readonly CustomerDto Dto = CustomerDto.Create(42);

    public static readonly ImmutableCustomerDto ImmutableDto = ImmutableCustomerDto.From(Dto);
}
