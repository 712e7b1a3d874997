using System.Diagnostics.CodeAnalysis;
using MessagePack;
using MessagePack.Formatters;

namespace HybridCaching.Serialization.MessagePackFormatters;

/// <summary>Puts <see cref="GoListFormatter{T}"/> in place of MessagePack-CSharp's <see cref="ListFormatter{T}"/>.</summary>
internal static class GoListFormatter
{
    /// <summary>Returns a <see cref="GoListFormatter{T}"/> when <paramref name="formatter"/> is MessagePack-CSharp's
    /// <see cref="ListFormatter{T}"/>; otherwise <paramref name="formatter"/>.</summary>
    /// <typeparam name="TList">The list type.</typeparam>
    /// <param name="formatter">The formatter the resolvers chose.</param>
    /// <returns>The formatter to use.</returns>
    [RequiresDynamicCode("Makes the formatter for the list's element type.")]
    public static IMessagePackFormatter<TList>? ReplaceContractless<TList>(IMessagePackFormatter<TList>? formatter) =>
        formatter is not null && formatter.GetType().IsGenericType && formatter.GetType().GetGenericTypeDefinition() == typeof(ListFormatter<>)
            ? (IMessagePackFormatter<TList>)Activator.CreateInstance(typeof(GoListFormatter<>).MakeGenericType(formatter.GetType().GetGenericArguments()))!
            : formatter;
}

/// <summary>
/// <see cref="List{T}"/> exactly as MessagePack-CSharp's <see cref="ListFormatter{T}"/> writes and reads it, except that
/// the element formatter is asked of the resolver once per resolver rather than once per list.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
internal sealed class GoListFormatter<T> : IMessagePackFormatter<List<T>?>
{
    private volatile Element? _element;

    /// <inheritdoc/>
    public void Serialize(ref MessagePackWriter writer, List<T>? value, MessagePackSerializerOptions options)
    {
        if (value is null)
        {
            writer.WriteNil();
            return;
        }

        IMessagePackFormatter<T> formatter = For(options.Resolver);
        int count = value.Count;
        writer.WriteArrayHeader(count);
        for (int i = 0; i < count; i++)
        {
            writer.CancellationToken.ThrowIfCancellationRequested();
            formatter.Serialize(ref writer, value[i], options);
        }
    }

    /// <inheritdoc/>
    public List<T>? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        if (reader.TryReadNil())
        {
            return null;
        }

        IMessagePackFormatter<T> formatter = For(options.Resolver);
        int count = reader.ReadArrayHeader();
        var list = new List<T>(count);
        options.Security.DepthStep(ref reader);
        try
        {
            for (int i = 0; i < count; i++)
            {
                reader.CancellationToken.ThrowIfCancellationRequested();
                list.Add(formatter.Deserialize(ref reader, options));
            }
        }
        finally
        {
            reader.Depth--;
        }

        return list;
    }

    private IMessagePackFormatter<T> For(IFormatterResolver resolver)
    {
        Element? element = _element;
        if (element is null || !ReferenceEquals(element.Resolver, resolver))
        {
            element = new Element(resolver, resolver.GetFormatterWithVerify<T>());
            _element = element;
        }

        return element.Formatter;
    }

    private sealed record Element(IFormatterResolver Resolver, IMessagePackFormatter<T> Formatter);
}
