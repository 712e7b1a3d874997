namespace HybridCaching;

/// <summary>One <c>DoAsync</c> call's factory as the core path carries it: the factory, the state it is called with,
/// and the call's tags and entry options, applied to the factory's <see cref="CacheFuncContext"/> before it runs.
/// A struct, so a hit allocates nothing for it; every public overload is one of these (a lambda without state is the
/// state of a static adapter).</summary>
/// <typeparam name="TState">The state passed to the factory.</typeparam>
/// <typeparam name="T">The value type.</typeparam>
internal readonly struct Invocation<TState, T>(
    Func<TState, CacheFuncContext, CancellationToken, Task<T>> factory,
    TState state,
    CacheEntryOptions? options = null,
    IReadOnlyCollection<string>? tags = null)
{
    /// <summary>Runs the factory with the call's options and tags on <paramref name="context"/> (the factory may change them).</summary>
    public Task<T> InvokeAsync(CacheFuncContext context, CancellationToken cancellationToken)
    {
        options?.ApplyTo(context);
        if (tags is not null)
        {
            context.Tags = tags;
        }

        return factory(state, context, cancellationToken);
    }
}
