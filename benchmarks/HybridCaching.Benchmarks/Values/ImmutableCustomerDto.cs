using System.ComponentModel;

namespace HybridCaching.Benchmarks;

/// <summary>
/// <see cref="CustomerDto"/>'s members as a sealed type marked <c>[ImmutableObject(true)]</c>: the promise that lets
/// a cache hand the same instance to every caller (Microsoft's HybridCache asks for sealed + the attribute; ours for
/// the attribute).
/// </summary>
[ImmutableObject(true)]
public sealed class ImmutableCustomerDto
{
    public int Id { get; init; }

    public string Name { get; init; } = string.Empty;

    public string Email { get; init; } = string.Empty;

    public int Age { get; init; }

    public long Points { get; init; }

    public bool Active { get; init; }

    public double Rating { get; init; }

    public string Country { get; init; } = string.Empty;

    public DateTime CreatedAt { get; init; }

    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>The same values as <paramref name="dto"/>.</summary>
    public static ImmutableCustomerDto From(CustomerDto dto) => new()
    {
        Id = dto.Id,
        Name = dto.Name,
        Email = dto.Email,
        Age = dto.Age,
        Points = dto.Points,
        Active = dto.Active,
        Rating = dto.Rating,
        Country = dto.Country,
        CreatedAt = dto.CreatedAt,
        Tags = [.. dto.Tags],
    };
}
