using MessagePack;
using MessagePack.Formatters;

namespace HybridCaching.Serialization.MessagePackFormatters;

/// <summary>
/// The formatters that make MessagePack-CSharp write what Go's <c>vmihailenco/msgpack</c> writes where the two differ:
/// <see cref="TimeSpan"/> (<see cref="GoDurationFormatter"/>), <see cref="DateTime"/> and <see cref="DateTimeOffset"/>
/// (<see cref="GoTimeFormatter"/>), <see cref="Guid"/> (<see cref="GoUuidFormatter"/>),
/// <see cref="decimal"/> (<see cref="GoDecimalFormatter"/>), their nullable forms, <see cref="string"/> (<see cref="GoStringFormatter"/>,
/// which also reads bin) and <see cref="object"/>
/// (<see cref="GoObjectFormatter"/>). Every other type is left to the resolvers after it.
/// </summary>
/// <remarks>
/// Holds no reflection: put it first in a <c>CompositeResolver</c> before your own (or generated) resolvers to keep the
/// Go-compatible choices; <see cref="MessagePackCacheSerializer.DefaultOptions"/> puts it before
/// <c>ContractlessStandardResolver</c>.
/// </remarks>
public sealed class GoCompatibleResolver : IFormatterResolver
{
    private GoCompatibleResolver()
    {
    }

    /// <summary>Gets the resolver.</summary>
    public static GoCompatibleResolver Instance { get; } = new();

    /// <inheritdoc/>
    public IMessagePackFormatter<T>? GetFormatter<T>() => Cache<T>.Formatter;

    private static class Cache<T>
    {
        public static readonly IMessagePackFormatter<T>? Formatter = (IMessagePackFormatter<T>?)Find(typeof(T));

        private static object? Find(Type type) =>
            type == typeof(TimeSpan) ? GoDurationFormatter.Instance
            : type == typeof(TimeSpan?) ? new StaticNullableFormatter<TimeSpan>(GoDurationFormatter.Instance)
            : type == typeof(DateTime) ? GoTimeFormatter.Instance
            : type == typeof(DateTime?) ? new StaticNullableFormatter<DateTime>(GoTimeFormatter.Instance)
            : type == typeof(DateTimeOffset) ? GoTimeFormatter.Instance
            : type == typeof(DateTimeOffset?) ? new StaticNullableFormatter<DateTimeOffset>(GoTimeFormatter.Instance)
            : type == typeof(Guid) ? GoUuidFormatter.Instance
            : type == typeof(Guid?) ? new StaticNullableFormatter<Guid>(GoUuidFormatter.Instance)
            : type == typeof(decimal) ? GoDecimalFormatter.Instance
            : type == typeof(decimal?) ? new StaticNullableFormatter<decimal>(GoDecimalFormatter.Instance)
            : type == typeof(string) ? GoStringFormatter.Instance
            : type == typeof(string[]) ? new ArrayFormatter<string?>()
            : type == typeof(object) ? GoObjectFormatter.Instance
            : null;
    }
}
