using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Facilities.Cloud.Broker;
using Facilities.Telemetry;
using MQTTnet;
using MQTTnet.Protocol;

namespace Facilities.Cloud.Tests.Broker;

/// <summary>The broker's TLS listener with a certificate and key from PEM files, as a gateway would reach it over a network.</summary>
public sealed class BrokerTlsTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Gateway_OverTls_TrustingTheBrokersCertificate_Publishes()
    {
        var folder = Directory.CreateTempSubdirectory("broker-tls-").FullName;
        using var certificate = WritePem(folder);
        var tlsPort = FreePort.Next();
        await using var broker = await RunningBroker.StartAsync(Token, o => o with
        {
            Tls = new BrokerTlsOptions { Port = tlsPort, Certificate = Path.Combine(folder, "broker.pem"), Key = Path.Combine(folder, "broker.key") },
        });
        using var gateway = await TestMqttClient.ConnectAsync(tlsPort, "site-a/gw-a", "pw-a", Token, configure: b => b
            .WithTlsOptions(tls => tls.UseTls().WithTargetHost("127.0.0.1").WithTrustChain([X509CertificateLoader.LoadCertificate(certificate.RawData)])));
        var published = await gateway.PublishStringAsync(Topics.GatewayStatus("site-a", "gw-a"), "{}", MqttQualityOfServiceLevel.AtLeastOnce, cancellationToken: Token);

        Assert.True(published.IsSuccess);
        Directory.Delete(folder, recursive: true);
    }

    /// <summary>A self-signed certificate for 127.0.0.1 written as broker.pem and broker.key (what openssl would make).</summary>
    internal static X509Certificate2 WritePem(string folder)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=facilities-broker", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, false, 0, critical: true));
        var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        File.WriteAllText(Path.Combine(folder, "broker.pem"), certificate.ExportCertificatePem());
        File.WriteAllText(Path.Combine(folder, "broker.key"), key.ExportPkcs8PrivateKeyPem());
        return certificate;
    }
}
