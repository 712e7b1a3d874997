using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using HybridCaching.Testing.Redis;

namespace HybridCaching.Redis.Tests;

/// <summary>A redis-server serving TLS only, with a self-signed certificate generated for the test run.</summary>
public sealed class TlsRedisFixture : RedisServerFixture
{
    public TlsRedisFixture()
        : this(TlsMaterial.Create())
    {
    }

    private TlsRedisFixture(TlsMaterial material)
        : base(new RedisServerOptions { Tls = material.Files, Private = true })
        => Certificate = material.Certificate;

    /// <summary>The server's certificate (its own root).</summary>
    public X509Certificate2 Certificate { get; }

    private sealed record TlsMaterial(RedisTlsFiles Files, X509Certificate2 Certificate)
    {
        public static TlsMaterial Create()
        {
            using var key = RSA.Create(2048);
            var request = new CertificateRequest("CN=hybridcaching-test-redis", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            var names = new SubjectAlternativeNameBuilder();
            names.AddDnsName("localhost");
            names.AddIpAddress(System.Net.IPAddress.Loopback);
            request.CertificateExtensions.Add(names.Build());
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: false, 0, critical: true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment | X509KeyUsageFlags.KeyCertSign, critical: false));
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
            var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));

            var directory = Directory.CreateTempSubdirectory("hc-redis-tls-").FullName;
            var certificateFile = Path.Combine(directory, "redis.crt");
            var keyFile = Path.Combine(directory, "redis.key");
            File.WriteAllText(certificateFile, certificate.ExportCertificatePem());
            File.WriteAllText(keyFile, key.ExportPkcs8PrivateKeyPem());
            return new TlsMaterial(new RedisTlsFiles(certificateFile, keyFile, certificateFile), X509CertificateLoader.LoadCertificate(certificate.RawData));
        }
    }
}
