using HybridCaching.Redis;

namespace HybridCaching.AspNetCore.Tests;

/// <summary>Redis options for tests of behaviour across servers: on a busy CI machine a round trip can take longer than
/// the default 500 ms operation timeout, and these tests are not about the fault detector.</summary>
internal static class PatientRedis
{
    public static RedisCacheOptions Options => new() { OperationTimeout = TimeSpan.FromSeconds(10) };
}
