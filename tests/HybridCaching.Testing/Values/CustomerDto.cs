namespace HybridCaching.Testing;

/// <summary>A typical cached DTO: ten members, ints, strings, a date and a list.</summary>
public sealed class CustomerDto
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

    public static CustomerDto Create(int i) => new()
    {
        Id = i,
        Name = "Customer " + i,
        Email = $"customer{i}@example.com",
        Age = 20 + (i % 50),
        Points = 1_000_000L * i,
        Active = i % 2 == 0,
        Rating = 3.5 + (i % 3),
        Country = "NZ",
        CreatedAt = new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddMinutes(i),
        Tags = ["gold", "newsletter", "beta"],
    };
}
