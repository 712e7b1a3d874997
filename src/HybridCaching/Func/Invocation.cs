namespace HybridCaching;

/// <summary>One <c>DoAsync</c> call's factory as the core path carries it: the factory, its state, and the call's entry
/// options and tags. A struct, so a hit allocates nothing for it; a lambda without state is the state of a static adapter.</summary>
internal readonly struct Invocation<TState, T>(
    Func<TState, CacheFuncContext, CancellationToken, Task<T>> factory,
    TState state,
    CacheEntryOptions? options = null,
    IReadOnlyCollection<string>? tags = null)
{
    // The call's options and tags go on the context first: the factory may change them.
    public Task<T> InvokeAsync(CacheFuncContext context, CancellationToken cancellationToken)
    {
        options?.ApplyTo(context);
        context.Tags = tags ?? context.Tags;

        return factory(state, context, cancellationToken);
    }
}
