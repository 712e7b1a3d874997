namespace HybridCaching;

/// <summary>One <c>DoAsync</c> call's factory as the core path carries it: the factory, its state, and the call's entry
/// options and tags. A struct, so a hit allocates nothing for it; a lambda without state is the state of a static adapter.
/// A factory that takes no <see cref="CacheFuncContext"/> (<paramref name="readsContext"/> false) and comes with no
/// options or tags runs without one: a miss allocates no context for it.</summary>
internal readonly struct Invocation<TState, T>(
    Func<TState, CacheFuncContext, CancellationToken, Task<T>> factory,
    TState state,
    CacheEntryOptions? options = null,
    IReadOnlyCollection<string>? tags = null,
    bool readsContext = true)
{
    /// <summary>Whether the factory run needs a context: the factory reads one, or the call's options or tags go on it.</summary>
    public bool NeedsContext => readsContext || options is not null || tags is not null;

    // The call's options and tags go on the context first: the factory may change them. Without a context (NeedsContext
    // false) the factory is a static adapter that ignores it.
    public Task<T> InvokeAsync(CacheFuncContext? context, CancellationToken cancellationToken)
    {
        if (context is not null)
        {
            options?.ApplyTo(context);
            context.Tags = tags ?? context.Tags;
        }

        return factory(state, context!, cancellationToken);
    }
}
