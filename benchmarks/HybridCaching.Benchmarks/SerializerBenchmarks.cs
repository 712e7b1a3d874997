using System.Text.Json;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using HybridCaching.Serialization;
using MessagePack;
using MessagePack.Resolvers;

namespace HybridCaching.Benchmarks;

/// <summary>
/// Serialize + deserialize round trips: <see cref="MessagePackCacheSerializer"/> (MessagePack-CSharp with the default,
/// Go-compatible, untrusted-data options) next to System.Text.Json (the baseline of each category), both producing a
/// <c>byte[]</c> as CacheFunc stores it. Two more rows per category call MessagePack-CSharp directly:
/// <c>MessagePackCSharp</c> with the same options as ours (what our serializer adds is the difference: the goal is at most
/// 10 %), and <c>MessagePackCSharpContractless</c> with its own <see cref="ContractlessStandardResolver"/> and the same
/// security (what the Go-compatible resolver adds or saves). <c>Dto_MessagePackKeyAsPropertyName</c> is our serializer on
/// the same members under <c>[MessagePackObject(keyAsPropertyName: true)]</c> (the same bytes).
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class SerializerBenchmarks
{
    private static readonly MessagePackCacheSerializer MessagePack = MessagePackCacheSerializer.Default;
    private static readonly MessagePackSerializerOptions Options = MessagePackCacheSerializer.DefaultOptions;
    private static readonly MessagePackSerializerOptions Contractless = MessagePackSerializerOptions.Standard
        .WithResolver(ContractlessStandardResolver.Instance)
        .WithSecurity(MessagePackSecurity.UntrustedData.WithMaximumObjectGraphDepth(MessagePackCacheSerializer.DefaultMaxDepth));
    private static readonly JsonSerializerOptions Json = JsonSerializerOptions.Default;

    private CustomerDto _dto = null!;
    private KeyedCustomerDto _keyedDto = null!;
    private List<CustomerDto> _list = null!;
    private string _string = null!;
    private int _int;

    [GlobalSetup]
    public void Setup()
    {
        _dto = CustomerDto.Create(42);
        _keyedDto = KeyedCustomerDto.Create(42);
        _list = Enumerable.Range(0, 100).Select(CustomerDto.Create).ToList();
        _string = "Ada Lovelace <ada@example.com> wrote the first program.";
        _int = 1_234_567;
    }

    [Benchmark(Baseline = true), BenchmarkCategory("Dto")]
    public CustomerDto Dto_SystemTextJson() => JsonSerializer.Deserialize<CustomerDto>(JsonSerializer.SerializeToUtf8Bytes(_dto, Json), Json)!;

    [Benchmark, BenchmarkCategory("Dto")]
    public CustomerDto Dto_MessagePack() => MessagePack.Deserialize<CustomerDto>(MessagePack.Serialize(_dto));

    [Benchmark, BenchmarkCategory("Dto")]
    public CustomerDto Dto_MessagePackCSharp() => MessagePackSerializer.Deserialize<CustomerDto>(MessagePackSerializer.Serialize(_dto, Options), Options);

    [Benchmark, BenchmarkCategory("Dto")]
    public CustomerDto Dto_MessagePackCSharpContractless() => MessagePackSerializer.Deserialize<CustomerDto>(MessagePackSerializer.Serialize(_dto, Contractless), Contractless);

    [Benchmark, BenchmarkCategory("Dto")]
    public KeyedCustomerDto Dto_MessagePackKeyAsPropertyName() => MessagePack.Deserialize<KeyedCustomerDto>(MessagePack.Serialize(_keyedDto));

    [Benchmark(Baseline = true), BenchmarkCategory("DtoList100")]
    public List<CustomerDto> DtoList100_SystemTextJson() => JsonSerializer.Deserialize<List<CustomerDto>>(JsonSerializer.SerializeToUtf8Bytes(_list, Json), Json)!;

    [Benchmark, BenchmarkCategory("DtoList100")]
    public List<CustomerDto> DtoList100_MessagePack() => MessagePack.Deserialize<List<CustomerDto>>(MessagePack.Serialize(_list));

    [Benchmark, BenchmarkCategory("DtoList100")]
    public List<CustomerDto> DtoList100_MessagePackCSharp() => MessagePackSerializer.Deserialize<List<CustomerDto>>(MessagePackSerializer.Serialize(_list, Options), Options);

    [Benchmark, BenchmarkCategory("DtoList100")]
    public List<CustomerDto> DtoList100_MessagePackCSharpContractless() => MessagePackSerializer.Deserialize<List<CustomerDto>>(MessagePackSerializer.Serialize(_list, Contractless), Contractless);

    [Benchmark(Baseline = true), BenchmarkCategory("String")]
    public string String_SystemTextJson() => JsonSerializer.Deserialize<string>(JsonSerializer.SerializeToUtf8Bytes(_string, Json), Json)!;

    [Benchmark, BenchmarkCategory("String")]
    public string String_MessagePack() => MessagePack.Deserialize<string>(MessagePack.Serialize(_string))!;

    [Benchmark, BenchmarkCategory("String")]
    public string String_MessagePackCSharp() => MessagePackSerializer.Deserialize<string>(MessagePackSerializer.Serialize(_string, Options), Options)!;

    [Benchmark, BenchmarkCategory("String")]
    public string String_MessagePackCSharpContractless() => MessagePackSerializer.Deserialize<string>(MessagePackSerializer.Serialize(_string, Contractless), Contractless)!;

    [Benchmark(Baseline = true), BenchmarkCategory("Int")]
    public int Int_SystemTextJson() => JsonSerializer.Deserialize<int>(JsonSerializer.SerializeToUtf8Bytes(_int, Json), Json);

    [Benchmark, BenchmarkCategory("Int")]
    public int Int_MessagePack() => MessagePack.Deserialize<int>(MessagePack.Serialize(_int));

    [Benchmark, BenchmarkCategory("Int")]
    public int Int_MessagePackCSharp() => MessagePackSerializer.Deserialize<int>(MessagePackSerializer.Serialize(_int, Options), Options);

    [Benchmark, BenchmarkCategory("Int")]
    public int Int_MessagePackCSharpContractless() => MessagePackSerializer.Deserialize<int>(MessagePackSerializer.Serialize(_int, Contractless), Contractless);
}
