namespace HybridCaching;

/// <summary>One <c>DoAsync</c> call's factory as the core path carries it: the factory, its state, and the call's entry
/// options and tags. A struct, so a hit allocates nothing for it; a lambda without state is the state of a static adapter.</summary>
/// <param name="factory">The factory, given the state.</param>
/// <param name="state">The factory's state.</param>
/// <param name="options">The call's entry options.</param>
/// <param name="tags">The call's tags.</param>
/// <param name="takesContext">Whether the factory reads its <see cref="CacheFuncContext"/>: one that does not (a lambda
/// given only a token) runs without one, and the call's options and tags alone decide the entry.</param>
internal readonly struct Invocation<TState, T>(
    Func<TState, CacheFuncContext, CancellationToken, Task<T>> factory,
    TState state,
    CacheEntryOptions? options = null,
    IReadOnlyCollection<string>? tags = null,
    bool takesContext = true)
{
    public bool TakesContext => takesContext;

    public CacheEntryOptions? Options => options;

    public IReadOnlyCollection<string>? Tags => tags;

    // The call's options and tags go on the context first: the factory may change them. A factory that takes no context
    // is given none.
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
