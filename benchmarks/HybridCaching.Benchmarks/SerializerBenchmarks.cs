using System.Text.Json;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using HybridCaching.Serialization;

namespace HybridCaching.Benchmarks;

/// <summary>
/// Serialize + deserialize round trips: <see cref="MessagePackCacheSerializer"/> (MessagePack-CSharp with the default,
/// Go-compatible, untrusted-data options) next to System.Text.Json (the baseline of each category), both producing a
/// <c>byte[]</c> as CacheFunc stores it.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class SerializerBenchmarks
{
    private static readonly MessagePackCacheSerializer MessagePack = MessagePackCacheSerializer.Default;
    private static readonly JsonSerializerOptions Json = JsonSerializerOptions.Default;

    private CustomerDto _dto = null!;
    private List<CustomerDto> _list = null!;
    private string _string = null!;
    private int _int;

    [GlobalSetup]
    public void Setup()
    {
        _dto = CustomerDto.Create(42);
        _list = Enumerable.Range(0, 100).Select(CustomerDto.Create).ToList();
        _string = "Ada Lovelace <ada@example.com> wrote the first program.";
        _int = 1_234_567;
    }

    [Benchmark(Baseline = true), BenchmarkCategory("Dto")]
    public CustomerDto Dto_SystemTextJson() => JsonSerializer.Deserialize<CustomerDto>(JsonSerializer.SerializeToUtf8Bytes(_dto, Json), Json)!;

    [Benchmark, BenchmarkCategory("Dto")]
    public CustomerDto Dto_MessagePack() => MessagePack.Deserialize<CustomerDto>(MessagePack.Serialize(_dto));

    [Benchmark(Baseline = true), BenchmarkCategory("DtoList100")]
    public List<CustomerDto> DtoList100_SystemTextJson() => JsonSerializer.Deserialize<List<CustomerDto>>(JsonSerializer.SerializeToUtf8Bytes(_list, Json), Json)!;

    [Benchmark, BenchmarkCategory("DtoList100")]
    public List<CustomerDto> DtoList100_MessagePack() => MessagePack.Deserialize<List<CustomerDto>>(MessagePack.Serialize(_list));

    [Benchmark(Baseline = true), BenchmarkCategory("String")]
    public string String_SystemTextJson() => JsonSerializer.Deserialize<string>(JsonSerializer.SerializeToUtf8Bytes(_string, Json), Json)!;

    [Benchmark, BenchmarkCategory("String")]
    public string String_MessagePack() => MessagePack.Deserialize<string>(MessagePack.Serialize(_string))!;

    [Benchmark(Baseline = true), BenchmarkCategory("Int")]
    public int Int_SystemTextJson() => JsonSerializer.Deserialize<int>(JsonSerializer.SerializeToUtf8Bytes(_int, Json), Json);

    [Benchmark, BenchmarkCategory("Int")]
    public int Int_MessagePack() => MessagePack.Deserialize<int>(MessagePack.Serialize(_int));

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
}
