using System.Diagnostics;
using System.Globalization;
using HybridCaching.Serialization;
using MessagePack;

namespace HybridCaching.Benchmarks;

/// <summary>
/// Our serializer against <see cref="MessagePackSerializer"/> with the same options (issue 21's "at most 10 % over
/// MessagePack-CSharp"), not a BenchmarkDotNet benchmark: the two alternate in short rounds and each keeps its best
/// round, which a loaded machine disturbs less than a mean. <c>serializer-probe [rounds]</c>.
/// </summary>
internal static class SerializerProbe
{
    public const string Command = "serializer-probe";

    public static void Run(string[] args)
    {
        MessagePackCacheSerializer ours = MessagePackCacheSerializer.Default;
        MessagePackSerializerOptions options = MessagePackCacheSerializer.DefaultOptions;
        CustomerDto dto = CustomerDto.Create(42);
        List<CustomerDto> list = Enumerable.Range(0, 100).Select(CustomerDto.Create).ToList();
        string text = "Ada Lovelace <ada@example.com> wrote the first program.";
        int number = 1_234_567;
        int rounds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 300;

        Compare("Int", 20_000, rounds, () => ours.Deserialize<int>(ours.Serialize(number)), () => MessagePackSerializer.Deserialize<int>(MessagePackSerializer.Serialize(number, options), options));
        Compare("String", 10_000, rounds, () => ours.Deserialize<string>(ours.Serialize(text)), () => MessagePackSerializer.Deserialize<string>(MessagePackSerializer.Serialize(text, options), options));
        Compare("Dto", 2_000, rounds, () => ours.Deserialize<CustomerDto>(ours.Serialize(dto)), () => MessagePackSerializer.Deserialize<CustomerDto>(MessagePackSerializer.Serialize(dto, options), options));
        Compare("DtoList100", 20, rounds, () => ours.Deserialize<List<CustomerDto>>(ours.Serialize(list)), () => MessagePackSerializer.Deserialize<List<CustomerDto>>(MessagePackSerializer.Serialize(list, options), options));
    }

    private static void Compare<T>(string name, int calls, int rounds, Func<T> ours, Func<T> theirs)
    {
        double bestOurs = double.MaxValue, bestTheirs = double.MaxValue;
        for (int r = 0; r < rounds; r++)
        {
            bestOurs = Math.Min(bestOurs, Time(ours, calls));
            bestTheirs = Math.Min(bestTheirs, Time(theirs, calls));
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name,-11} ours {bestOurs,10:F1} ns  MessagePack-CSharp {bestTheirs,10:F1} ns  ours/theirs {bestOurs / bestTheirs:F3}"));
    }

    private static double Time<T>(Func<T> call, int calls)
    {
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < calls; i++)
        {
            call();
        }

        return Stopwatch.GetElapsedTime(start).TotalNanoseconds / calls;
    }
}
