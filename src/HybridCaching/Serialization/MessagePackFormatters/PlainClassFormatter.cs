using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Runtime.CompilerServices;
using MessagePack;
using MessagePack.Formatters;
using MessagePack.Resolvers;

namespace HybridCaching.Serialization.MessagePackFormatters;

/// <summary>
/// Writes and reads a plain class (see <see cref="PlainClassShape"/>) exactly as MessagePack-CSharp's contractless formatter
/// does — the same bytes, the same values read, the same errors — with methods emitted once for the class
/// (<see cref="PlainClassEmitter"/>) and the members' formatters resolved once per resolver (<see cref="PlainClassState"/>)
/// instead of on every member of every object.
/// </summary>
/// <typeparam name="T">The plain class.</typeparam>
/// <remarks>
/// Like every formatter of <see cref="GoContractlessResolver"/>, it limits how deeply graphs nest when written.
/// When a resolver lacks a formatter for one of the members' types, that resolver keeps the contractless formatter,
/// which raises the resolver's error when, and if, the member is written or read.
/// </remarks>
[RequiresDynamicCode("Emits IL.")]
[RequiresUnreferencedCode("Reads the members of the class by reflection.")]
internal sealed class PlainClassFormatter<T> : IMessagePackFormatter<T>
{
    /// <summary>The name of the dynamic assembly <see cref="DynamicContractlessObjectResolver"/> emits formatters into.</summary>
    private const string ContractlessAssembly = "MessagePack.Resolvers.DynamicContractlessObjectResolver";

    private readonly IMessagePackFormatter<T> _contractless;
    private readonly PropertyInfo[] _members;
    private readonly PlainClassState _keys;
    private readonly PlainClassWriter<T> _write;
    private readonly PlainClassReader<T> _read;
    private readonly ConditionalWeakTable<IFormatterResolver, ForResolver> _byResolver = new();
    private readonly ConditionalWeakTable<IFormatterResolver, ForResolver>.CreateValueCallback _resolve;
    private volatile ForResolver? _last;

    private PlainClassFormatter(IMessagePackFormatter<T> contractless, PropertyInfo[] members)
    {
        _contractless = contractless;
        _members = members;
        _keys = PlainClassState.ForClass(members);
        (_write, _read) = PlainClassEmitter.Emit<T>(members, _keys.Keys);
        _resolve = Resolve;
    }

    /// <summary>Returns a <see cref="PlainClassFormatter{T}"/> in place of <paramref name="formatter"/> when that is contractless's
    /// formatter for a plain class and this runtime compiles emitted code; otherwise <paramref name="formatter"/>.</summary>
    /// <param name="formatter">The formatter the resolvers chose.</param>
    /// <returns>The formatter to use.</returns>
    public static IMessagePackFormatter<T>? ReplaceContractless(IMessagePackFormatter<T>? formatter) =>
        formatter is not null && RuntimeFeature.IsDynamicCodeCompiled && IsContractless(formatter)
        && PlainClassShape.TryGetMembers(typeof(T)) is { } members
            ? Create(formatter, members)
            : formatter;

    private static IMessagePackFormatter<T> Create(IMessagePackFormatter<T> contractless, PropertyInfo[] members)
    {
        try
        {
            return new PlainClassFormatter<T>(contractless, members);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return contractless; // the methods could not be emitted (a member type IL cannot name, say)
        }
    }

    /// <summary>Whether <paramref name="formatter"/> was built by MessagePack-CSharp's <see cref="DynamicContractlessObjectResolver"/>
    /// (told by the dynamic assembly it emits its formatters into: asking the resolver itself would build one for types the
    /// other resolvers handle, and throw for non-public ones).</summary>
    private static bool IsContractless(IMessagePackFormatter<T> formatter) =>
        formatter.GetType().Assembly is { IsDynamic: true } assembly && assembly.GetName().Name == ContractlessAssembly;

    /// <inheritdoc/>
    public void Serialize(ref MessagePackWriter writer, T value, MessagePackSerializerOptions options)
    {
        if (value is null)
        {
            writer.WriteNil();
            return;
        }

        GoContractlessResolver.WriteDepth.Enter();
        try
        {
            PlainClassState? state = For(options.Resolver).State;
            if (state is null)
            {
                _contractless.Serialize(ref writer, value, options);
                return;
            }

            writer.WriteMapHeader(_members.Length);
            _write(state, ref writer, value, options);
        }
        finally
        {
            GoContractlessResolver.WriteDepth.Exit();
        }
    }

    /// <inheritdoc/>
    public T Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        if (reader.TryReadNil())
        {
            return default!;
        }

        PlainClassState? state = For(options.Resolver).State;
        return state is null ? _contractless.Deserialize(ref reader, options) : _read(state, ref reader, options);
    }

    /// <summary>Whether <paramref name="resolver"/> gets the emitted methods rather than contractless (for tests).</summary>
    /// <param name="resolver">The resolver.</param>
    /// <returns><see langword="true"/> when every member's formatter was found.</returns>
    internal bool IsCompiledFor(IFormatterResolver resolver) => For(resolver).State is not null;

    private ForResolver For(IFormatterResolver resolver)
    {
        ForResolver? last = _last;
        if (last is not null && ReferenceEquals(last.Resolver, resolver))
        {
            return last;
        }

        last = _byResolver.GetValue(resolver, _resolve);
        _last = last;
        return last;
    }

    private ForResolver Resolve(IFormatterResolver resolver)
    {
        try
        {
            return new ForResolver(resolver, _keys.WithFormatters(_members, resolver));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return new ForResolver(resolver, null);
        }
    }

    /// <summary>The members' formatters for one resolver; <see langword="null"/> when it lacks one (contractless is used).</summary>
    private sealed record ForResolver(IFormatterResolver Resolver, PlainClassState? State);
}
