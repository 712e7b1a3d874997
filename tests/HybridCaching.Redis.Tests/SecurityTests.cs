using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using HybridCaching.Testing.Redis;
using StackExchange.Redis;

namespace HybridCaching.Redis.Tests;

/// <summary>TLS with certificate validation and ACL users, configured through StackExchange.Redis's own options.</summary>
[Trait("Category", "Redis")]
public sealed class TlsTests(TlsRedisFixture server) : IClassFixture<TlsRedisFixture>
{
    [Fact]
    public async Task RedisCache_CertificateTrustedByValidation_SetsAndGets()
    {
        await using var cache = new RedisCache(Configuration(TrustOnly(server.Certificate)), RedisTestCache.CacheOptions());
        await WaitUntilConnectedAsync(cache);

        await cache.SetAsync("tls", "secure"u8.ToArray(), TimeSpan.FromSeconds(30));

        Assert.Equal("secure"u8.ToArray(), await cache.GetAsync("tls"));
        var big = new byte[1 << 20];
        Random.Shared.NextBytes(big);
        await cache.SetAsync("big", big, TimeSpan.FromSeconds(30));
        Assert.Equal(big, await cache.GetAsync("big"));
    }

    [Fact]
    public async Task RedisCache_UntrustedCertificateWithDefaultValidation_NeverConnectsAndCallsFailFast()
    {
        await using var cache = new RedisCache(Configuration(validation: null), RedisTestCache.CacheOptions());
        var func = new CacheFunc(cache, TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5));

        await Assert.ThrowsAsync<RedisConnectionException>(async () => await cache.GetAsync("k"));
        Assert.Equal("from-factory", await func.DoAsync("k", _ => Task.FromResult("from-factory")));
        Assert.False(cache.Multiplexer?.IsConnected ?? false);
    }

    private ConfigurationOptions Configuration(RemoteCertificateValidationCallback? validation)
    {
        var options = RedisTestCache.Configuration(server.EndPoint);
        options.Ssl = true;
        options.SslHost = "localhost";
        options.ConnectTimeout = 2000;
        if (validation is not null)
        {
            options.CertificateValidation += validation;
        }

        return options;
    }

    private static async Task WaitUntilConnectedAsync(RedisCache cache) => await RedisCli.WaitUntilAsync(
        () => Task.FromResult(cache.Multiplexer?.IsConnected ?? false), "TLS connection", TimeSpan.FromSeconds(20));

    // Validates the chain against the test's own root, and the host name, instead of the machine's trust store.
    private static RemoteCertificateValidationCallback TrustOnly(X509Certificate2 root) => (_, certificate, _, errors) =>
    {
        if ((errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != SslPolicyErrors.None || certificate is null)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(root);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
    };
}

[Collection(RedisCollection.Name)]
[Trait("Category", "Redis")]
public sealed class AclTests(RedisServerFixture server)
{
    [Fact]
    public async Task RedisCache_AclUserWithinItsRights_Works_AndOutsideThemGetsNoPerm()
    {
        var (user, password, scope) = await CreateUserAsync();
        var configuration = RedisTestCache.Configuration(server);
        configuration.User = user;
        configuration.Password = password;
        await using var cache = await RedisTestCache.CreateAsync(configuration, new RedisCacheOptions { Prefix = scope + ":", LockPrefix = scope + ":!lock!", OperationTimeout = TimeSpan.FromSeconds(10) });

        await cache.SetAsync("k", "v"u8.ToArray(), TimeSpan.FromMinutes(1));
        Assert.Equal("v"u8.ToArray(), await cache.GetAsync("k"));
        Assert.Equal(user, (string?)await cache.Db().ExecuteAsync("ACL", "WHOAMI"));

        var outside = await Assert.ThrowsAsync<RedisServerException>(() => cache.Db().StringGetAsync("elsewhere"));
        Assert.StartsWith("NOPERM", outside.Message, StringComparison.Ordinal);
    }

    private async Task<(string User, string Password, string Scope)> CreateUserAsync()
    {
        var id = Guid.NewGuid().ToString("N")[..10];
        var user = "u" + id;
        var password = "P" + Guid.NewGuid().ToString("N");
        var scope = "acl:" + id;
        await RedisCli.CommandAsync(server.Port, "ACL", "SETUSER", user, "reset", "on", ">" + password, $"~{scope}:*", "+get", "+set", "+@connection", "+acl|whoami", "+publish", "+subscribe", "+eval", "+del", "+pttl", "+psetex");
        return (user, password, scope);
    }
}
