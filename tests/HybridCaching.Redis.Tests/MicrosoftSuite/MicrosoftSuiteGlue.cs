// The fixture glue that runs Microsoft's tests for its Redis IDistributedCache (RedisCacheSetAndRemoveTests.cs,
// TimeExpirationTests.cs, TimeExpirationAsyncTests.cs in this folder, from dotnet/aspnetcore
// src/Caching/StackExchangeRedis/test; their headers name the commit and every change) against this library's
// CacheAdapterDistributedCache, once over RedisCache (a real redis-server, the Redis collection's fixture) and once over
// MemoryCache. This file is ours; the three test files are Microsoft's, under the MIT license:
//
//   The MIT License (MIT)
//   Copyright (c) .NET Foundation and Contributors
//   All rights reserved.
//   Permission is hereby granted, free of charge, to any person obtaining a copy of this software and associated
//   documentation files (the "Software"), to deal in the Software without restriction, including without limitation the
//   rights to use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies of the Software, and to permit
//   persons to whom the Software is furnished to do so, subject to the following conditions:
//   The above copyright notice and this permission notice shall be included in all copies or substantial portions of the
//   Software.
//   THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO THE
//   WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR
//   COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR
//   OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
using HybridCaching;
using HybridCaching.Distributed;
using HybridCaching.Redis.Tests;
using HybridCaching.Testing.Redis;
using Microsoft.Extensions.Caching.Distributed;
using StackExchange.Redis;
using OurRedisCache = HybridCaching.Redis.RedisCache;
using OurRedisCacheOptions = HybridCaching.Redis.RedisCacheOptions;

namespace Microsoft.Extensions.Caching.StackExchangeRedis
{
    /// <summary>What Microsoft's tests call <c>RedisTestConfig</c>: creates the <see cref="IDistributedCache"/> under test,
    /// a <see cref="CacheAdapterDistributedCache"/> over one of this library's adapters; the instance name (the test
    /// class's name) scopes its keys.</summary>
    public sealed class MicrosoftSuiteBackend : IDisposable
    {
        /// <summary>Why the sub-second tests are skipped on our backends.</summary>
        public const string SubSecondSkipReason =
            "Sub-second expiration: Microsoft's RedisCache rounds 250 ms to whole seconds, so the entry is gone at once; "
            + "HybridCaching keeps it to the millisecond (250 ms lives 250 ms), by design (docs/distributed-cache.md).";

        private readonly Func<string, ICacheAdapter> _adapter;
        private readonly IConnectionMultiplexer? _multiplexer;

        private MicrosoftSuiteBackend(Func<string, ICacheAdapter> adapter, IConnectionMultiplexer? multiplexer = null)
        {
            _adapter = adapter;
            _multiplexer = multiplexer;
        }

        /// <summary>Over <see cref="OurRedisCache"/> on the fixture's server (one connection per test, closed after it).</summary>
        public static MicrosoftSuiteBackend Redis(RedisServerFixture server)
        {
            var multiplexer = ConnectionMultiplexer.Connect(RedisTestCache.Configuration(server));
            return new MicrosoftSuiteBackend(name => new OurRedisCache(multiplexer, new OurRedisCacheOptions { Prefix = $"ms:{name}:" }), multiplexer);
        }

        /// <summary>Over an uncapped <see cref="MemoryCache"/> (a new one per cache instance, as a new process would have).</summary>
        public static MicrosoftSuiteBackend Memory() => new(_ => new MemoryCache(maxItems: 10_000, maxBytes: 64L << 20, maxTtl: TimeSpan.Zero));

        /// <summary>The cache under test.</summary>
        public IDistributedCache CreateCacheInstance(string instanceName) => new CacheAdapterDistributedCache(_adapter(instanceName));

        /// <summary>The cache under test, for the one test that asks Microsoft's cache not to slide on reads
        /// (<c>DisableSlidingExpirationRefresh</c>). CacheAdapterDistributedCache has no such switch: its reads always
        /// slide, so the flag is not honoured here. That test passes all the same, and says nothing about the flag: its
        /// last read at ~0.75 s renews the 1 s window to ~1.75 s, and it checks at ~2.25 s.</summary>
        public IDistributedCache CreateCacheInstance(string instanceName, bool disableSlidingExpirationRefresh)
        {
            _ = disableSlidingExpirationRefresh;
            return CreateCacheInstance(instanceName);
        }

        /// <inheritdoc/>
        public void Dispose() => _multiplexer?.Dispose();
    }

    // The other half of each partial test class: the constructor taking the backend, the member the tests call, the skip
    // reason of the sub-second tests. One concrete class per backend below.
    public abstract partial class RedisCacheSetAndRemoveTests(MicrosoftSuiteBackend backend) : IDisposable
    {
        protected MicrosoftSuiteBackend RedisTestConfig { get; } = backend;

        public void Dispose() => RedisTestConfig.Dispose();
    }

    public abstract partial class TimeExpirationTests(MicrosoftSuiteBackend backend) : IDisposable
    {
        private const string SubSecondSkipReason = MicrosoftSuiteBackend.SubSecondSkipReason;

        protected MicrosoftSuiteBackend RedisTestConfig { get; } = backend;

        public void Dispose() => RedisTestConfig.Dispose();
    }

    public abstract partial class TimeExpirationAsyncTests(MicrosoftSuiteBackend backend) : IDisposable
    {
        private const string SubSecondSkipReason = MicrosoftSuiteBackend.SubSecondSkipReason;

        protected MicrosoftSuiteBackend RedisTestConfig { get; } = backend;

        public void Dispose() => RedisTestConfig.Dispose();
    }

    /// <summary>Microsoft's tests, both backends, run alone after the parallel collections: they time expirations with
    /// the wall clock (a 1 s sliding window read every 0.5 s), and the synchronous ones sleep on the runner's few
    /// threads, which would starve the other tests' continuations and be starved by them.</summary>
    [CollectionDefinition(Name, DisableParallelization = true)]
    public sealed class MicrosoftSuiteCollection : ICollectionFixture<RedisServerFixture>
    {
        public const string Name = "microsoft-suite";
    }

    [Collection(MicrosoftSuiteCollection.Name)]
    [Trait("Category", "Redis")]
    public sealed class RedisCacheSetAndRemoveTestsOverRedis(RedisServerFixture server) : RedisCacheSetAndRemoveTests(MicrosoftSuiteBackend.Redis(server));

    [Collection(MicrosoftSuiteCollection.Name)]
    [Trait("Category", "Redis")]
    public sealed class TimeExpirationTestsOverRedis(RedisServerFixture server) : TimeExpirationTests(MicrosoftSuiteBackend.Redis(server));

    [Collection(MicrosoftSuiteCollection.Name)]
    [Trait("Category", "Redis")]
    public sealed class TimeExpirationAsyncTestsOverRedis(RedisServerFixture server) : TimeExpirationAsyncTests(MicrosoftSuiteBackend.Redis(server));

    [Collection(MicrosoftSuiteCollection.Name)]
    public sealed class RedisCacheSetAndRemoveTestsOverMemory() : RedisCacheSetAndRemoveTests(MicrosoftSuiteBackend.Memory());

    [Collection(MicrosoftSuiteCollection.Name)]
    public sealed class TimeExpirationTestsOverMemory() : TimeExpirationTests(MicrosoftSuiteBackend.Memory());

    [Collection(MicrosoftSuiteCollection.Name)]
    public sealed class TimeExpirationAsyncTestsOverMemory() : TimeExpirationAsyncTests(MicrosoftSuiteBackend.Memory());
}

namespace Microsoft.AspNetCore.InternalTesting
{
    /// <summary>Stands in for the helper of the same name in aspnetcore's internal test package (not published), with
    /// the checks the async twin in TimeExpirationAsyncTests.cs makes: the exception type, its parameter name, the start
    /// of its message and its actual value.</summary>
    public static class ExceptionAssert
    {
        public static ArgumentOutOfRangeException ThrowsArgumentOutOfRange(Action testCode, string paramName, string? exceptionMessage, object? actualValue = null)
        {
            var ex = Assert.Throws<ArgumentOutOfRangeException>(testCode);
            Assert.Equal(paramName, ex.ParamName);
            if (exceptionMessage is not null)
            {
                Assert.StartsWith(exceptionMessage, ex.Message, StringComparison.Ordinal);
            }

            if (actualValue is not null)
            {
                Assert.Equal(actualValue, ex.ActualValue);
            }

            return ex;
        }
    }
}
