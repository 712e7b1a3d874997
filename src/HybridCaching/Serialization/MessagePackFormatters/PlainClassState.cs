using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text;
using MessagePack;

namespace HybridCaching.Serialization.MessagePackFormatters;

/// <summary>
/// What the emitted methods of one plain class use: its keys, made once per class (<see cref="ForClass"/>), and the
/// members' formatters, resolved once per resolver (<see cref="WithFormatters"/>, which shares the keys).
/// </summary>
internal sealed class PlainClassState
{
    private static readonly MethodInfo GetFormatter = typeof(FormatterResolverExtensions).GetMethod(nameof(FormatterResolverExtensions.GetFormatterWithVerify))!;

    /// <summary>Each name's <see cref="ShortKey.Ends"/> (names longer than <see cref="ShortKey.MaxLength"/>: unused).</summary>
    private readonly (ulong Head, ulong Tail)[] _nameEnds;

    private PlainClassState(byte[][] keys, byte[][] names, (ulong Head, ulong Tail)[] nameEnds, object?[] formatters)
    {
        Keys = keys;
        Names = names;
        _nameEnds = nameEnds;
        Formatters = formatters;
    }

    /// <summary>Creates the keys of a class; its <see cref="Formatters"/> are all <see langword="null"/>.</summary>
    /// <param name="members">The class's members.</param>
    /// <returns>The state without formatters.</returns>
    public static PlainClassState ForClass(PropertyInfo[] members)
    {
        byte[][] names = [.. members.Select(m => Encoding.UTF8.GetBytes(m.Name))];
        return new PlainClassState(
            [.. members.Select(m => EncodeKey(m.Name))],
            names,
            [.. names.Select(n => n.Length <= ShortKey.MaxLength ? ShortKey.Ends(n) : default)],
            new object?[members.Length]);
    }

    /// <summary>The same keys with each member's formatter from <paramref name="resolver"/>.</summary>
    /// <param name="members">The class's members, as given to <see cref="ForClass"/>.</param>
    /// <param name="resolver">The resolver.</param>
    /// <returns>The state for that resolver.</returns>
    /// <exception cref="TargetInvocationException">The resolver has no formatter for a member's type.</exception>
    [RequiresDynamicCode("Makes generic methods for the members' types.")]
    public PlainClassState WithFormatters(PropertyInfo[] members, IFormatterResolver resolver)
    {
        var formatters = new object?[members.Length];
        for (int i = 0; i < members.Length; i++)
        {
            Type type = members[i].PropertyType;
            if (!PlainClassShape.IsDirect(type))
            {
                formatters[i] = GetFormatter.MakeGenericMethod(type).Invoke(null, [resolver]);
            }
        }

        return new PlainClassState(Keys, Names, _nameEnds, formatters);
    }

    /// <summary>The formatter of each member; <see langword="null"/> where the member is written directly.</summary>
    public object?[] Formatters { get; }

    /// <summary>Each member's key as written: the MessagePack str header and the name's UTF-8 bytes.</summary>
    public byte[][] Keys { get; }

    /// <summary>Each member's name in UTF-8.</summary>
    public byte[][] Names { get; }

    /// <summary>The member whose name is <paramref name="key"/>, or −1.</summary>
    /// <param name="key">The key read.</param>
    /// <param name="expected">The member to try first: the key's position in the map, which is the member's when the map was written in member order.</param>
    /// <returns>The member's index, or −1 when the class has no such member.</returns>
    /// <exception cref="MessagePackSerializationException">The key is empty.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Match(ReadOnlySpan<byte> key, int expected)
    {
        byte[][] names = Names;
        return (uint)expected < (uint)names.Length && key.Length == names[expected].Length && key.Length <= ShortKey.MaxLength
            && ShortKey.Ends(key) == _nameEnds[expected]
            ? expected
            : Find(key);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private int Find(ReadOnlySpan<byte> key)
    {
        byte[][] names = Names;
        if (key.IsEmpty)
        {
            // Contractless's key automaton rejects an empty key (rather than skipping it as unknown); so do we.
            throw new MessagePackSerializationException("An empty key cannot name a member.");
        }

        for (int i = 0; i < names.Length; i++)
        {
            if (key.SequenceEqual(names[i]))
            {
                return i;
            }
        }

        // Contractless's automaton compares keys in 8-byte words padded with zeros, so a name followed by zero bytes that
        // stay within its last word names the member too.
        if (key[^1] == 0)
        {
            for (int i = 0; i < names.Length; i++)
            {
                byte[] name = names[i];
                if ((name.Length + 7) / 8 == (key.Length + 7) / 8 && key.StartsWith(name) && !key[name.Length..].ContainsAnyExcept((byte)0))
                {
                    return i;
                }
            }
        }

        return -1;
    }

    private static byte[] EncodeKey(string name)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(buffer);
        writer.Write(name);
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }
}
