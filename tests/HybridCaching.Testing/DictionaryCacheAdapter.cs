using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;

namespace HybridCaching.Testing;

/// <summary>
/// An adapter as a user would write one, from the public contract alone: storage over a dictionary
/// (<see cref="ICacheAdapter"/>, <see cref="ICacheRenewal"/>), entries in this process that keep decoded values
/// (<see cref="ILocalCacheEntries"/>: value reuse and local tag checks) and a race (<see cref="ICacheRace"/>) modelled on the
/// Redis lock: the first racer for a key takes its lock and runs the work, the others wait for the result it leaves
/// under the lock for the race's ttl (a failure reaches them as a <see cref="RemoteRaceException"/>, as from another
/// server). Adapters created over the same <see cref="Store"/> stand for servers sharing one cache.
/// </summary>
public sealed class DictionaryCacheAdapter : ICacheAdapter, ICacheRace, ICacheRenewal, ILocalCacheEntries
{
    private long _reads;

    private readonly Store _store;
    private readonly TimeProvider _time;
    private volatile bool _disposed;

    /// <summary>Creates an adapter over a store of its own.</summary>
    /// <param name="time">The clock for expiry and for the race's waitFor; <see cref="TimeProvider.System"/> when null.</param>
    public DictionaryCacheAdapter(TimeProvider? time = null)
        : this(new Store(), time)
    {
    }

    /// <summary>Creates an adapter over <paramref name="store"/>, which other adapters ("servers") may share.</summary>
    /// <param name="store">The entries and race locks.</param>
    /// <param name="time">The clock for expiry and for the race's waitFor; <see cref="TimeProvider.System"/> when null.</param>
    public DictionaryCacheAdapter(Store store, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        _store = store;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>The store this adapter works on: pass it to another adapter to share it.</summary>
    public Store Shared => _store;

    /// <summary>How many times <see cref="GetAsync"/> or <see cref="FetchAsync"/> was called on this adapter.</summary>
    public long Reads => Interlocked.Read(ref _reads);

    public ValueTask<byte[]?> GetAsync(string key, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _reads);
        return new(Find(key)?.Value);
    }

    public ValueTask<CacheFetchResult> FetchAsync(string key, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _reads);
        return new(Find(key) is { } entry ? new CacheFetchResult(entry.Value, entry.ExpiresAt - _time.GetUtcNow()) : CacheFetchResult.NotFound);
    }

    public bool TryGetLocal(string key, [MaybeNullWhen(false)] out LocalCacheEntry entry)
    {
        entry = Find(key);
        return entry is not null;
    }

    // The decoded value goes with these bytes only: a write, removal or renewal meanwhile replaced the entry.
    public void KeepDecoded(string key, LocalCacheEntry entry, object decoded, long decodedBytes)
    {
        if (entry is Entry stored)
        {
            _store.Entries.TryUpdate(key, new Entry(stored.Value, stored.ExpiresAt, decoded), stored);
        }
    }

    public ValueTask SetAsync(string key, byte[] value, TimeSpan ttl, CancellationToken cancellationToken = default)
    {
        ThrowIfInvalid(key);
        ArgumentNullException.ThrowIfNull(value);
        ThrowIfNotPositive(ttl);
        ObjectDisposedException.ThrowIf(_disposed, this);
        _store.Entries[key] = new Entry(value, ExpiresAt(ttl));
        return ValueTask.CompletedTask;
    }

    public ValueTask<bool> RenewIfUnchangedAsync(string key, byte[] expected, TimeSpan ttl, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(expected);
        ThrowIfNotPositive(ttl);
        return new(Find(key) is { } entry && entry.Value.AsSpan().SequenceEqual(expected)
            && _store.Entries.TryUpdate(key, new Entry(entry.Value, ExpiresAt(ttl), entry.Decoded), entry));
    }

    public ValueTask DeleteAsync(IEnumerable<string> keys, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keys);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var list = keys.ToList();
        list.ForEach(ThrowIfInvalid);
        foreach (var key in list)
        {
            _store.Entries.TryRemove(key, out _);
            DropResult(key); // a result left under the key's lock must not answer the next miss with the deleted value
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask ClearAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _store.Entries.Clear();
        foreach (var key in _store.Locks.Keys)
        {
            DropResult(key);
        }

        return ValueTask.CompletedTask;
    }

    public async Task<RaceResult> RaceAsync(string key, Func<CancellationToken, Task<RaceResult>> fn, TimeSpan waitFor, TimeSpan ttl, CancellationToken cancellationToken = default)
    {
        ThrowIfInvalid(key);
        ArgumentNullException.ThrowIfNull(fn);
        ThrowIfNotPositive(waitFor);
        ThrowIfNotPositive(ttl);
        ObjectDisposedException.ThrowIf(_disposed, this);
        using var bound = new CancellationTokenSource(waitFor, _time);
        using var link = cancellationToken.Register(bound.Cancel);
        try
        {
            while (true)
            {
                bound.Token.ThrowIfCancellationRequested();
                var mine = new Lock();
                var held = _store.Locks.GetOrAdd(key, mine);
                if (ReferenceEquals(held, mine))
                {
                    return await LeadAsync(key, mine, fn, ttl, bound.Token);
                }

                if (!held.Finished)
                {
                    await held.Ended.WaitAsync(bound.Token); // then: its result, or its lock released for this racer to take
                }
                else if (held.ExpiresAt <= _time.GetUtcNow())
                {
                    _store.Locks.TryRemove(new KeyValuePair<string, Lock>(key, held));
                }
                else
                {
                    return held.Failure is null ? held.Result : throw new RemoteRaceException(held.Failure);
                }
            }
        }
        catch (OperationCanceledException ex) when (bound.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"The race for key '{key}' did not complete within {waitFor}.", ex);
        }
    }

    public void Dispose() => _disposed = true;

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    private static void ThrowIfInvalid(string key) => ArgumentException.ThrowIfNullOrEmpty(key);

    private static void ThrowIfNotPositive(TimeSpan value, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(value))] string? name = null)
    {
        if (value <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be positive.");
        }
    }

    private Entry? Find(string key)
    {
        ThrowIfInvalid(key);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!_store.Entries.TryGetValue(key, out var entry))
        {
            return null;
        }

        if (entry.ExpiresAt > _time.GetUtcNow())
        {
            return entry;
        }

        _store.Entries.TryRemove(new KeyValuePair<string, Entry>(key, entry));
        return null;
    }

    private DateTimeOffset ExpiresAt(TimeSpan ttl)
    {
        var now = _time.GetUtcNow();
        return ttl < DateTimeOffset.MaxValue - now ? now + ttl : DateTimeOffset.MaxValue;
    }

    private void DropResult(string key)
    {
        if (_store.Locks.TryGetValue(key, out var held) && held.Finished)
        {
            _store.Locks.TryRemove(new KeyValuePair<string, Lock>(key, held));
        }
    }

    // The leader's run: its result (or failure) stays under the lock for ttl; abandoned (waitFor passed, or its caller
    // left), it releases the lock so that a waiter takes over.
    private async Task<RaceResult> LeadAsync(string key, Lock held, Func<CancellationToken, Task<RaceResult>> fn, TimeSpan ttl, CancellationToken cancellationToken)
    {
        try
        {
            var result = await fn(cancellationToken).WaitAsync(cancellationToken);
            held.Finish(result, failure: null, ExpiresAt(ttl));
            return result;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            _store.Locks.TryRemove(new KeyValuePair<string, Lock>(key, held));
            throw;
        }
        catch (Exception ex)
        {
            held.Finish(default, ex.Message, ExpiresAt(ttl));
            throw;
        }
        finally
        {
            held.End();
        }
    }

    /// <summary>What adapters standing for different servers share: the entries and the race locks.</summary>
    public sealed class Store
    {
        internal ConcurrentDictionary<string, Entry> Entries { get; } = new(StringComparer.Ordinal);

        internal ConcurrentDictionary<string, Lock> Locks { get; } = new(StringComparer.Ordinal);
    }

    internal sealed class Entry(byte[] value, DateTimeOffset expiresAt, object? decoded = null) : LocalCacheEntry(value, decoded)
    {
        public DateTimeOffset ExpiresAt { get; } = expiresAt;
    }

    /// <summary>A key's race lock: held while its leader runs, then holding the leader's result until it expires.</summary>
    internal sealed class Lock
    {
        private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private volatile bool _finished;

        public Task Ended => _ended.Task;

        /// <summary>Whether the leader left its result (read <see cref="Result"/>, <see cref="Failure"/> and
        /// <see cref="ExpiresAt"/> only then); a released lock never finishes.</summary>
        public bool Finished => _finished;

        public RaceResult Result { get; private set; }

        public string? Failure { get; private set; }

        public DateTimeOffset ExpiresAt { get; private set; }

        public void Finish(RaceResult result, string? failure, DateTimeOffset expiresAt)
        {
            (Result, Failure, ExpiresAt) = (result, failure, expiresAt);
            _finished = true;
        }

        public void End() => _ended.TrySetResult();
    }
}
