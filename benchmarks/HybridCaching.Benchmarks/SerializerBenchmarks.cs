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
}
