using System.Buffers;
using HybridCaching.Serialization.MessagePackFormatters;
using MessagePack;

namespace HybridCaching.Tests.Serialization;

public class ShortKeyTests
{
    [Fact]
    public void Ends_EqualExactlyWhenBytesAreEqual_ForEveryLength()
    {
        var random = new Random(7);
        for (int length = 0; length <= ShortKey.MaxLength; length++)
        {
            for (int i = 0; i < 200; i++)
            {
                byte[] a = new byte[length];
                random.NextBytes(a);
                byte[] b = (byte[])a.Clone();
                if (length > 0 && i % 2 == 0)
                {
                    b[random.Next(length)] ^= (byte)(1 + random.Next(255));
                }

                Assert.Equal(a.AsSpan().SequenceEqual(b), ShortKey.Ends(a) == ShortKey.Ends(b));
            }
        }
    }

    [Fact]
    public void Write_PaddedWords_WritesExactlyTheKey()
    {
        var random = new Random(8);
        for (int length = 0; length <= ShortKey.MaxLength; length++)
        {
            byte[] key = new byte[length];
            random.NextBytes(key);
            (ulong head, ulong tail) = ShortKey.Padded(key);
            var buffer = new ArrayBufferWriter<byte>();
            var writer = new MessagePackWriter(buffer);

            writer.Write(1);
            ShortKey.Write(ref writer, head, tail, length);
            writer.Write(2);
            writer.Flush();

            Assert.Equal([0x01, .. key, 0x02], buffer.WrittenSpan.ToArray());
        }
    }
}
