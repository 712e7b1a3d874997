using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Runtime.CompilerServices;
using MessagePack;
using MessagePack.Formatters;
using MessagePack.Resolvers;

namespace HybridCaching.Serialization.MessagePackFormatters;

/// <summary>
/// Writes and reads a plain class (see <see cref="PlainClassShape"/>) exactly as MessagePack-CSharp's contractless formatter
/// does — the same bytes, the same values read, the same errors — with methods emitted per resolver
/// (<see cref="PlainClassEmitter"/>) that resolve each member's formatter once instead of on every member of every object.
/// </summary>
/// <typeparam name="T">The plain class.</typeparam>
/// <remarks>
/// Like every formatter of <see cref="GoContractlessResolver"/>, it limits how deeply graphs nest when written.
/// When the methods cannot be made for a resolver (one of the members' types has no formatter, for instance), that
/// resolver keeps the contractless formatter, which raises the resolver's error when, and if, the member is written or read.
/// </remarks>
[RequiresDynamicCode("Emits IL.")]
[RequiresUnreferencedCode("Reads the members of the class by reflection.")]
internal sealed class PlainClassFormatter<T> : IMessagePackFormatter<T>
{
    /// <summary>The name of the dynamic assembly <see cref="DynamicContractlessObjectResolver"/> emits formatters into.</summary>
    private const string ContractlessAssembly = "MessagePack.Resolvers.DynamicContractlessObjectResolver";

    private readonly IMessagePackFormatter<T> _contractless;
    private readonly PropertyInfo[] _members;
    private readonly ConditionalWeakTable<IFormatterResolver, Compiled> _byResolver = new();
    private readonly ConditionalWeakTable<IFormatterResolver, Compiled>.CreateValueCallback _compile;
    private volatile Compiled? _last;

    private PlainClassFormatter(IMessagePackFormatter<T> contractless, PropertyInfo[] members)
    {
        _contractless = contractless;
        _members = members;
        _compile = Compile;
    }

    /// <summary>Returns a <see cref="PlainClassFormatter{T}"/> in place of <paramref name="formatter"/> when that is contractless's
    /// formatter for a plain class and this runtime compiles emitted code; otherwise <paramref name="formatter"/>.</summary>
    /// <param name="formatter">The formatter the resolvers chose.</param>
    /// <returns>The formatter to use.</returns>
    public static IMessagePackFormatter<T>? ReplaceContractless(IMessagePackFormatter<T>? formatter) =>
        formatter is not null && RuntimeFeature.IsDynamicCodeCompiled && IsContractless(formatter)
        && PlainClassShape.TryGetMembers(typeof(T)) is { } members
            ? new PlainClassFormatter<T>(formatter, members)
            : formatter;

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
            Compiled compiled = For(options.Resolver);
            if (compiled.Write is null)
            {
                _contractless.Serialize(ref writer, value, options);
                return;
            }

            writer.WriteMapHeader(_members.Length);
            compiled.Write(ref writer, value, options);
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

        Compiled compiled = For(options.Resolver);
        if (compiled.Read is null)
        {
            return _contractless.Deserialize(ref reader, options);
        }

        return compiled.Read(ref reader, options);
    }

    /// <summary>Whether <paramref name="resolver"/> gets the emitted methods rather than contractless (for tests).</summary>
    /// <param name="resolver">The resolver.</param>
    /// <returns><see langword="true"/> when the methods were made.</returns>
    internal bool IsCompiledFor(IFormatterResolver resolver) => For(resolver).Write is not null;

    private Compiled For(IFormatterResolver resolver)
    {
        Compiled? last = _last;
        if (last is not null && ReferenceEquals(last.Resolver, resolver))
        {
            return last;
        }

        last = _byResolver.GetValue(resolver, _compile);
        _last = last;
        return last;
    }

    private Compiled Compile(IFormatterResolver resolver)
    {
        try
        {
            (PlainClassWriter<T> write, PlainClassReader<T> read) = PlainClassEmitter.Emit<T>(_members, resolver);
            return new Compiled(resolver, write, read);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return new Compiled(resolver, null, null);
        }
    }

    private sealed record Compiled(IFormatterResolver Resolver, PlainClassWriter<T>? Write, PlainClassReader<T>? Read);
}
