using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;
using HybridCaching.Serialization;
using MessagePack;

namespace HybridCaching.Tests.Serialization;

/// <summary>FsCheck round-trip properties, run from plain xunit facts (FsCheck.Xunit does not restore here).</summary>
public class MessagePackPropertyTests
{
    private static readonly MessagePackCacheSerializer Serializer = MessagePackCacheSerializer.Default;

    private static readonly Config Config = Config.QuickThrowOnFailure.WithMaxTest(300).WithQuietOnSuccess(true);

    private static T RoundTrip<T>(T value) => Serializer.Deserialize<T>(Serializer.Serialize(value));

    private static bool RoundTrips<T>(T value) => EqualityComparer<T>.Default.Equals(value, RoundTrip(value));

    private static void CheckRoundTrip<T>()
    {
        Check.One(Config, Prop.ForAll(ArbMap.Default.ArbFor<T>(), (T value) => RoundTrips(value)));
    }

    private static Gen<T> GenFor<T>() => ArbMap.Default.GeneratorFor<T>();

    // Strings without lone surrogates (which UTF-8 cannot carry and become U+FFFD by design).
    private static readonly Gen<string?> WellFormedString = GenFor<string?>().Select(s => s is null ? null : Clean(s));

    private static readonly Gen<DateTime> UtcDateTime = GenFor<long>()
        .Select(t => new DateTime((long)((ulong)t % (ulong)DateTime.MaxValue.Ticks), DateTimeKind.Utc));

    [Fact]
    public void RoundTrip_Primitives_Preserved()
    {
        CheckRoundTrip<bool>();
        CheckRoundTrip<byte>();
        CheckRoundTrip<sbyte>();
        CheckRoundTrip<short>();
        CheckRoundTrip<ushort>();
        CheckRoundTrip<int>();
        CheckRoundTrip<uint>();
        CheckRoundTrip<long>();
        CheckRoundTrip<ulong>();
        CheckRoundTrip<float>();
        CheckRoundTrip<double>();
        CheckRoundTrip<char>();
        CheckRoundTrip<Guid>();
        CheckRoundTrip<Color>();
        CheckRoundTrip<int?>();
        CheckRoundTrip<Point>();
    }

    [Fact]
    public void RoundTrip_ByteArray_PreservesContent()
    {
        Check.One(Config, Prop.ForAll(ArbMap.Default.ArbFor<byte[]?>(), value =>
        {
            byte[]? copy = RoundTrip(value);
            return value is null ? copy is null : copy is not null && copy.AsSpan().SequenceEqual(value);
        }));
    }

    [Fact]
    public void RoundTrip_Decimal_PreservesValueAndScale()
    {
        Check.One(Config, Prop.ForAll(ArbMap.Default.ArbFor<decimal>(), value =>
        {
            decimal copy = RoundTrip(value);
            return copy == value && copy.Scale == value.Scale;
        }));
    }

    [Fact]
    public void RoundTrip_FloatBits_Preserved()
    {
        Check.One(Config, Prop.ForAll(ArbMap.Default.ArbFor<long>(), bits =>
        {
            double value = BitConverter.Int64BitsToDouble(bits);
            return BitConverter.DoubleToInt64Bits(RoundTrip(value)) == bits;
        }));
    }

    [Fact]
    public void RoundTrip_WellFormedString_Preserved()
    {
        Check.One(Config, Prop.ForAll(WellFormedString.ToArbitrary(), value => RoundTrip(value) == value));
    }

    [Fact]
    public void RoundTrip_DateTimes_PreserveInstantAtTickPrecision()
    {
        Check.One(Config, Prop.ForAll(UtcDateTime.ToArbitrary(), value =>
        {
            DateTime copy = RoundTrip(value);
            DateTimeOffset offsetCopy = RoundTrip(new DateTimeOffset(value));
            return copy == value && copy.Kind == DateTimeKind.Utc && offsetCopy.UtcDateTime == value;
        }));
    }

    [Fact]
    public void RoundTrip_TimeSpanWithinGoRange_PreservedToTheTick()
    {
        Gen<TimeSpan> spans = GenFor<long>().Select(t => TimeSpan.FromTicks(t % (long.MaxValue / 100)));

        Check.One(Config, Prop.ForAll(spans.ToArbitrary(), value => RoundTrip(value) == value));
    }

    [Fact]
    public void Integers_AnyValue_DecodeIntoEveryTypeThatHoldsItOrThrow()
    {
        Check.One(Config, Prop.ForAll(ArbMap.Default.ArbFor<long>(), value =>
        {
            byte[] data = Serializer.Serialize(value);
            return Fits(data, value, byte.MinValue, byte.MaxValue, d => Serializer.Deserialize<byte>(d))
                && Fits(data, value, sbyte.MinValue, sbyte.MaxValue, d => Serializer.Deserialize<sbyte>(d))
                && Fits(data, value, short.MinValue, short.MaxValue, d => Serializer.Deserialize<short>(d))
                && Fits(data, value, ushort.MinValue, ushort.MaxValue, d => Serializer.Deserialize<ushort>(d))
                && Fits(data, value, int.MinValue, int.MaxValue, d => Serializer.Deserialize<int>(d))
                && Fits(data, value, uint.MinValue, uint.MaxValue, d => Serializer.Deserialize<uint>(d))
                && Fits(data, value, 0, long.MaxValue, d => (long)Serializer.Deserialize<ulong>(d))
                && Serializer.Deserialize<long>(data) == value;
        }));
    }

    private static bool Fits<T>(byte[] data, long value, long min, long max, Func<byte[], T> read)
        where T : IConvertible
    {
        if (value < min || value > max)
        {
            try
            {
                read(data);
                return false;
            }
            catch (MessagePackSerializationException)
            {
                return true;
            }
        }

        return Convert.ToInt64(read(data), System.Globalization.CultureInfo.InvariantCulture) == value;
    }

    [Fact]
    public void RoundTrip_Collections_Preserved()
    {
        Gen<Collections> collections =
            from array in GenFor<int[]?>()
            from list in GenFor<List<string>?>().Select(l => l?.Select(s => s is null ? null! : Clean(s)).ToList())
            from set in GenFor<int[]?>().Select(a => a?.ToHashSet())
            from map in GenFor<Dictionary<int, string>?>().Select(d => d?.ToDictionary(e => e.Key.ToString(System.Globalization.CultureInfo.InvariantCulture), e => e.Key))
            from intKeys in GenFor<Dictionary<int, bool>?>()
            from jagged in GenFor<int[][]?>()
            select new Collections
            {
                Array = array,
                List = list,
                Set = set,
                Map = map,
                IntKeys = intKeys?.ToDictionary(e => e.Key, e => e.Value ? "t" : "f"),
                Jagged = jagged,
                Enumerable = array,
                ReadOnlyList = list,
                IList = array?.Select(i => (long)i).ToList(),
                ISet = map?.Keys.ToHashSet(),
                IDictionary = intKeys?.ToDictionary(e => e.Key.ToString(System.Globalization.CultureInfo.InvariantCulture), e => e.Key / 3.0),
                SortedSet = set is null ? null : new SortedSet<int>(set),
            };

        Check.One(Config, Prop.ForAll(collections.ToArbitrary(), value => SameJson(value, RoundTrip(value))));
    }

    [Fact]
    public void RoundTrip_ObjectGraphs_Preserved()
    {
        Gen<Scalars> scalars =
            from ints in GenFor<(byte, sbyte, short, ushort, int, uint)>()
            from longs in GenFor<(long, ulong, bool, char, Guid)>()
            from floats in GenFor<(NormalFloat, decimal, int?)>()
            from text in WellFormedString
            from bytes in GenFor<byte[]?>()
            from when in UtcDateTime
            from color in GenFor<Color>()
            from point in GenFor<Point?>()
            select new Scalars
            {
                Byte = ints.Item1,
                SByte = ints.Item2,
                Int16 = ints.Item3,
                UInt16 = ints.Item4,
                Int32 = ints.Item5,
                UInt32 = ints.Item6,
                Int64 = longs.Item1,
                UInt64 = longs.Item2,
                Bool = longs.Item3,
                Char = char.IsSurrogate(longs.Item4) ? 'x' : longs.Item4,
                Guid = longs.Item5,
                Double = floats.Item1.Get,
                Single = (float)Math.Clamp(floats.Item1.Get, -1e30, 1e30),
                Decimal = floats.Item2,
                NullableInt = floats.Item3,
                String = text,
                Bytes = bytes,
                DateTime = when,
                DateTimeOffset = new DateTimeOffset(when),
                TimeSpan = TimeSpan.FromTicks(ints.Item5),
                Color = color,
                Tiny = (Tiny)ints.Item1,
                Signed = (Signed)longs.Item1,
                Access = (Access)ints.Item3,
                NullableDate = ints.Item5 % 2 == 0 ? null : when,
                Point = point ?? default,
                NullablePoint = point,
                Dynamic = text,
            };

        Gen<Person> people =
            from name in WellFormedString
            from age in GenFor<int>()
            from tags in GenFor<string[]>()
            from nickname in WellFormedString
            select new Person(name ?? string.Empty, age, tags.Where(t => t is not null).Select(Clean).ToList()) { Nickname = nickname };

        Check.One(Config, Prop.ForAll(scalars.ToArbitrary(), value => SameJson(value, RoundTrip(value))));
        Check.One(Config, Prop.ForAll(people.ToArbitrary(), value => SameJson(value, RoundTrip(value))));
        Check.One(Config, Prop.ForAll(Gen.ListOf(people).ToArbitrary(), value => SameJson(value, RoundTrip(value))));
    }

    [Fact]
    public void Payload_AnyFields_RoundTrip()
    {
        Gen<(DateTime BestBefore, byte[] Value, int Status, Dictionary<string, string[]> Header)> payloads =
            from bestBefore in UtcDateTime
            from value in GenFor<byte[]>()
            from status in GenFor<int>()
            from header in GenFor<Dictionary<string, string[]>>()
            select (bestBefore, value ?? [], status, header
                .Where(e => e.Value is not null)
                .GroupBy(e => Clean(e.Key), StringComparer.OrdinalIgnoreCase)
                .ToDictionary(g => g.Key, g => g.First().Value.Where(v => v is not null).Select(Clean).ToArray(), StringComparer.OrdinalIgnoreCase));

        Check.One(Config, Prop.ForAll(payloads.ToArbitrary(), p =>
        {
            var header = p.Header.ToDictionary(e => e.Key, e => (IEnumerable<string>)e.Value);
            byte[] data = CachePayload.Write(p.BestBefore, p.Value, header, p.Status);
            if (!CachePayload.TryRead(data, out CachePayload payload))
            {
                return false;
            }

            Dictionary<string, string[]>? read = payload.ReadHeader();
            return payload.BestBefore.UtcDateTime == (p.BestBefore.Ticks == 0 ? default : p.BestBefore)
                && payload.Value.SequenceEqual(p.Value)
                && payload.StatusCode == p.Status
                && (header.Count == 0 ? read is null : header.All(e => read!.TryGetValue(e.Key, out string[]? v) && v.SequenceEqual(e.Value)));
        }));
    }

    private static string Clean(string value) => new(value.Where(c => !char.IsSurrogate(c)).ToArray());

    private static bool SameJson<T>(T expected, T actual) =>
        JsonSerializer.Serialize(expected) == JsonSerializer.Serialize(actual);
}
