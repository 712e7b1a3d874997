using MessagePack;

namespace HybridCaching.Benchmarks;

/// <summary>
/// <see cref="CustomerDto"/>'s members under <c>[MessagePackObject(keyAsPropertyName: true)]</c>: the same map keyed by
/// member name (the Go-compatible shape), written by MessagePack-CSharp's attributed resolver instead of contractless.
/// </summary>
[MessagePackObject(keyAsPropertyName: true)]
public sealed class KeyedCustomerDto
{
    public int Id { get; set; }

    public string Name { get; set; } = string.Empty;

    public string Email { get; set; } = string.Empty;

    public int Age { get; set; }

    public long Points { get; set; }

    public bool Active { get; set; }

    public double Rating { get; set; }

    public string Country { get; set; } = string.Empty;

    public DateTime CreatedAt { get; set; }

    public List<string> Tags { get; set; } = [];

    public static KeyedCustomerDto Create(int i)
    {
        CustomerDto dto = CustomerDto.Create(i);
        return new()
        {
            Id = dto.Id, Name = dto.Name, Email = dto.Email, Age = dto.Age, Points = dto.Points, Active = dto.Active,
            Rating = dto.Rating, Country = dto.Country, CreatedAt = dto.CreatedAt, Tags = dto.Tags,
        };
    }
}
