using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using HybridCaching.Redis.Client;

namespace HybridCaching.Redis.Tests.Client;

[Trait("Category", "Redis")]
public sealed class TlsTests(TlsRedisFixture server) : IClassFixture<TlsRedisFixture>
{
    private RedisConnectionOptions Options(RemoteCertificateValidationCallback? validation) => new()
    {
        Host = server.Host,
        Port = server.Port,
        Ssl = true,
        SslHost = "localhost",
        CertificateValidation = validation,
    };

    [Fact]
    public async Task ConnectAsync_CertificateTrustedByCallback_SetsAndGets()
    {
        await using var connection = await RedisConnection.ConnectAsync(Options(TrustOnly(server.Certificate)));
        await using var cache = new RedisCache(connection, RedisTestCache.CacheOptions());

        await cache.SetAsync("tls", "secure"u8.ToArray(), TimeSpan.FromSeconds(30));

        Assert.Equal("secure"u8.ToArray(), await cache.GetAsync("tls"));
        var big = new byte[1 << 20];
        Random.Shared.NextBytes(big);
        await cache.SetAsync("big", big, TimeSpan.FromSeconds(30));
        Assert.Equal(big, await cache.GetAsync("big"));
    }

    [Fact]
    public async Task ConnectAsync_UntrustedCertificateWithDefaultValidation_IsRejected()
    {
        var error = await Assert.ThrowsAsync<RedisConnectionException>(() => RedisConnection.ConnectAsync(Options(null)));

        Assert.IsAssignableFrom<AuthenticationException>(error.InnerException);
        Assert.Contains("TLS", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConnectAsync_ConnectionStringWithSsl_UsesTls()
    {
        var options = RedisConnectionOptions.Parse($"{server.EndPoint},ssl=true,sslHost=localhost,name=tls-test");
        options.CertificateValidation = TrustOnly(server.Certificate);
        await using var connection = await RedisConnection.ConnectAsync(options);

        Assert.Equal("tls-test", (await connection.ExecuteAsync("CLIENT", "GETNAME")).ToString());
    }

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
