using System.Buffers;
using System.Collections;
using HybridCaching.Serialization;
using MessagePack;
using Xunit.Abstractions;

namespace HybridCaching.Tests.Serialization;

/// <summary>
/// Hash flooding: a map or set whose keys all share one hash code must cost work linear in its size. The work is
/// counted — <see cref="IEqualityComparer{T}.Equals(T, T)"/> calls made by the dictionaries and sets being filled,
/// which is where colliding keys cost quadratic time — never timed.
/// </summary>
public class HashFloodingTests(ITestOutputHelper output)
{
    private const int Keys = 50_000;

    /// <summary>Keys (i &lt;&lt; 32) | i: <see cref="long.GetHashCode"/> folds the halves with XOR, so every one hashes to 0.</summary>
    private static IEnumerable<long> CollidingKeys(int count) => Enumerable.Range(1, count).Select(i => ((long)i << 32) | (uint)i);

    private static IEnumerable<long> OrdinaryKeys(int count) => Enumerable.Range(1, count).Select(i => (long)i);

    [Fact]
    public void CollidingKeys_ShareOneHashCode()
    {
        Assert.Single(CollidingKeys(1000).Select(k => k.GetHashCode()).Distinct());
    }

    [Theory]
    [InlineData("Dictionary<long,int>")]
    [InlineData("HashSet<long>")]
    [InlineData("object")]
    public void Deserialize_CollidingKeys_LinearWorkLikeAnOrdinaryMap(string shape)
    {
        long colliding = CountEqualsCalls(shape, Encode(shape, CollidingKeys(Keys)), collisionResistant: true);
        long ordinary = CountEqualsCalls(shape, Encode(shape, OrdinaryKeys(Keys)), collisionResistant: true);

        output.WriteLine($"{shape}: {colliding} Equals calls for {Keys} colliding keys, {ordinary} for {Keys} ordinary keys");

        // Linear: at most one comparison per key on average (quadratic would be about Keys² / 2 = 1.25e9).
        Assert.InRange(colliding, 0, Keys);
        Assert.InRange(colliding, 0, ordinary + Keys);
    }

    [Theory]
    [InlineData("Dictionary<long,int>")]
    [InlineData("HashSet<long>")]
    [InlineData("object")]
    public void Deserialize_CollidingKeysWithPlainHashing_CountsQuadraticWork(string shape)
    {
        // The control: the same count with the runtime's own hashing shows what the default options prevent.
        const int keys = 2_000;

        long colliding = CountEqualsCalls(shape, Encode(shape, CollidingKeys(keys)), collisionResistant: false);

        output.WriteLine($"{shape}, plain hashing: {colliding} Equals calls for {keys} colliding keys");
        Assert.True(colliding >= (long)keys * keys / 4, $"{colliding} comparisons for {keys} colliding keys");
    }

    [Theory]
    [InlineData("Dictionary<long,int>")]
    [InlineData("HashSet<long>")]
    [InlineData("object")]
    public void Deserialize_CollidingKeysWithDefaultSerializer_ReadsEveryKey(string shape)
    {
        byte[] data = Encode(shape, CollidingKeys(Keys));

        int count = shape switch
        {
            "Dictionary<long,int>" => MessagePackCacheSerializer.Default.Deserialize<Dictionary<long, int>>(data).Count,
            "HashSet<long>" => MessagePackCacheSerializer.Default.Deserialize<HashSet<long>>(data).Count,
            _ => Assert.IsType<Dictionary<object, object?>>(MessagePackCacheSerializer.Default.Deserialize<object>(data)).Count,
        };

        Assert.Equal(Keys, count);
    }

    private static long CountEqualsCalls(string shape, byte[] data, bool collisionResistant)
    {
        var security = new CountingSecurity(MessagePackCacheSerializer.DefaultOptions.Security, collisionResistant);
        var serializer = new MessagePackCacheSerializer(MessagePackCacheSerializer.DefaultOptions.WithSecurity(security));
        int count = shape switch
        {
            "Dictionary<long,int>" => serializer.Deserialize<Dictionary<long, int>>(data).Count,
            "HashSet<long>" => serializer.Deserialize<HashSet<long>>(data).Count,
            _ => Assert.IsType<Dictionary<object, object?>>(serializer.Deserialize<object>(data)).Count,
        };

        Assert.True(security.Comparers > 0, "the counting comparer was not used");
        Assert.True(count > 0);
        return security.EqualsCalls;
    }

    private static byte[] Encode(string shape, IEnumerable<long> keys)
    {
        long[] all = keys.ToArray();
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(buffer);
        if (shape == "HashSet<long>")
        {
            writer.WriteArrayHeader(all.Length);
            foreach (long key in all)
            {
                writer.Write(key);
            }
        }
        else
        {
            writer.WriteMapHeader(all.Length);
            for (int i = 0; i < all.Length; i++)
            {
                writer.Write(all[i]);
                writer.Write(i);
            }
        }

        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Hands the formatters a comparer that counts what they ask of it (wrapping the real or the plain one).</summary>
    private sealed class CountingSecurity : MessagePackSecurity
    {
        private readonly bool _collisionResistant;
        private long _equalsCalls;
        private int _comparers;

        public CountingSecurity(MessagePackSecurity copyFrom, bool collisionResistant)
            : base(copyFrom)
        {
            _collisionResistant = collisionResistant;
        }

        public long EqualsCalls => Interlocked.Read(ref _equalsCalls);

        public int Comparers => _comparers;

        protected override IEqualityComparer<T> GetHashCollisionResistantEqualityComparer<T>()
        {
            Interlocked.Increment(ref _comparers);
            IEqualityComparer<T> inner = _collisionResistant ? base.GetHashCollisionResistantEqualityComparer<T>() : EqualityComparer<T>.Default;
            return new Counting<T>(inner, this);
        }

        protected override MessagePackSecurity Clone() => new CountingSecurity(this, _collisionResistant);

        private sealed class Counting<T>(IEqualityComparer<T> inner, CountingSecurity owner) : IEqualityComparer<T>, IEqualityComparer
        {
            bool IEqualityComparer.Equals(object? x, object? y) => Equals((T?)x, (T?)y);

            int IEqualityComparer.GetHashCode(object obj) => GetHashCode((T)obj);

            public bool Equals(T? x, T? y)
            {
                Interlocked.Increment(ref owner._equalsCalls);
                return inner.Equals(x, y);
            }

            public int GetHashCode(T obj) => inner.GetHashCode(obj!);
        }
    }
}
