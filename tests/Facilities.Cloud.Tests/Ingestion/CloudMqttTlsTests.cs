using System.Collections.Concurrent;
using System.Security.Cryptography.X509Certificates;
using Facilities.Cloud.Ingestion;
using Facilities.Cloud.Tests.Broker;
using Facilities.Cloud.Tests.EndToEnd;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MQTTnet;
using MQTTnet.Protocol;

namespace Facilities.Cloud.Tests.Ingestion;

/// <summary>
/// The cloud's consumer over TLS to a real Mosquitto on another "machine" (a TLS listener), as instances on their own
/// machines run it: certificates made with openssl, the CA, mutual TLS, and the refusals an operator must be able to read.
/// </summary>
public sealed class CloudMqttTlsTests : IDisposable
{
    private const string BrokerName = "mqtt.facilities.test";

    private readonly TestCertificates _certificates = new();
    private readonly ConcurrentQueue<string> _log = new();

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private string File(string name) => _certificates.File(name);

    /// <summary>The site's CA, the broker's certificate from it (for <see cref="BrokerName"/> and 127.0.0.1), and client certificates for the cloud and a gateway.</summary>
    private async Task MakeCertificatesAsync()
    {
        await _certificates.AuthorityAsync("ca", Token);
        await _certificates.ServerAsync("broker", "ca", Token, BrokerName);
        await _certificates.ClientAsync("cloud", "ca", "facilities-cloud", Token);
        await _certificates.ClientAsync("gateway", "ca", Messages.Gateway, Token);
    }

    private Task<MosquittoBroker> StartBrokerAsync(string certificate = "broker", bool requireCertificate = false) =>
        MosquittoBroker.StartAsync(Token,
            $"cafile {File("ca.crt")}\ncertfile {File($"{certificate}.crt")}\nkeyfile {File($"{certificate}.key")}\nrequire_certificate {(requireCertificate ? "true" : "false")}");

    private Task<CloudHost> StartCloudAsync(MosquittoBroker broker, IDictionary<string, string?> tls, bool waitForConsumer = true)
    {
        var settings = new Dictionary<string, string?>(tls)
        {
            ["Mqtt:Tls:Enabled"] = "true",
            [$"Logging:LogLevel:{typeof(MqttIngestor).FullName}"] = "Information", // the transport it connected over
        };
        return CloudHost.StartAsync(broker.Port, Token, settings, waitForConsumer: waitForConsumer,
            configure: builder => builder.Logging.AddProvider(new RecordingLoggerProvider(_log)));
    }

    /// <summary>A gateway's MQTT client over TLS, trusting the site's CA, with its own certificate when given.</summary>
    private Task<IMqttClient> ConnectGatewayAsync(MosquittoBroker broker, string authority = "ca", bool withCertificate = false) =>
        TestMqttClient.ConnectAsync(broker.Port, "", "", Token, $"facilities-gateway-{Messages.Site}-{Messages.Gateway}", b => b.WithTlsOptions(tls =>
        {
            tls.UseTls().WithTargetHost("127.0.0.1").WithTrustChain([X509CertificateLoader.LoadCertificateFromFile(File($"{authority}.crt"))]);
            if (withCertificate)
            {
                using var pem = X509Certificate2.CreateFromPemFile(File("gateway.crt"), File("gateway.key"));
                tls.WithClientCertificates([X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null)]);
            }
        }));

    private static async Task PublishTelemetryAsync(IMqttClient gateway, string device)
    {
        var message = Messages.Telemetry(1, DateTimeOffset.UtcNow, device, "boiler", new Dictionary<string, double> { ["flow_temp"] = 61.5 });
        var result = await gateway.PublishBinaryAsync(message.Topic, message.Payload.ToArray(), MqttQualityOfServiceLevel.AtLeastOnce, cancellationToken: Token);
        Assert.Equal(MqttClientPublishReasonCode.Success, result.ReasonCode);
    }

    private static Task WaitForStoredAsync(CloudHost cloud, string device) => Eventually.HoldsAsync(
        async () => await cloud.CountAsync("SELECT COUNT(*) FROM latest_values WHERE site = @Site AND device = @Device AND point = 'flow_temp'", new { Site = Messages.Site, Device = device }) == 1,
        $"{device}'s flow_temp stored", TimeSpan.FromSeconds(30), Token, TimeSpan.FromMilliseconds(100));

    /// <summary>Waits until the consumer has failed to connect <paramref name="times"/> times, each logged with a reason containing <paramref name="reason"/>; returns the last such line.</summary>
    private async Task<string> WaitForRefusalsAsync(string reason, int times = 2)
    {
        try
        {
            await Eventually.HoldsAsync(() => Task.FromResult(Refusals(reason).Count >= times),
                $"{times} connection failures saying '{reason}'", TimeSpan.FromSeconds(30), Token, TimeSpan.FromMilliseconds(100));
        }
        catch (TimeoutException timeout)
        {
            throw new TimeoutException($"{timeout.Message}; logged: {string.Join(" | ", _log)}", timeout);
        }

        return Refusals(reason)[^1];
    }

    private List<string> Refusals(string reason) =>
        _log.Where(l => l.StartsWith("MQTT broker 127.0.0.1:", StringComparison.Ordinal) && l.Contains(reason, StringComparison.Ordinal)).ToList();

    [Fact]
    public async Task Cloud_OverTlsTrustingTheSitesCa_IngestsAGatewaysTelemetry()
    {
        await MakeCertificatesAsync();
        await using var broker = await StartBrokerAsync();
        await using var cloud = await StartCloudAsync(broker, new Dictionary<string, string?> { ["Mqtt:Tls:CaCertificate"] = File("ca.crt") });
        using var gateway = await ConnectGatewayAsync(broker);

        await PublishTelemetryAsync(gateway, "boiler-tls");

        await WaitForStoredAsync(cloud, "boiler-tls");
        Assert.Contains(_log, l => l.Contains("over TLS, server name 127.0.0.1", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Cloud_MutualTlsWithItsClientCertificate_Ingests()
    {
        await MakeCertificatesAsync();
        await using var broker = await StartBrokerAsync(requireCertificate: true);
        await using var cloud = await StartCloudAsync(broker, new Dictionary<string, string?>
        {
            ["Mqtt:Tls:CaCertificate"] = File("ca.crt"),
            ["Mqtt:Tls:ClientCertificate"] = File("cloud.crt"),
            ["Mqtt:Tls:ClientKey"] = File("cloud.key"),
        });
        using var gateway = await ConnectGatewayAsync(broker, withCertificate: true);

        await PublishTelemetryAsync(gateway, "boiler-mtls");

        await WaitForStoredAsync(cloud, "boiler-mtls");
    }

    [Fact]
    public async Task Cloud_MutualTlsWithoutAClientCertificate_IsRefusedAndSaysWhatToSet()
    {
        await MakeCertificatesAsync();
        await using var broker = await StartBrokerAsync(requireCertificate: true);
        await using var cloud = await StartCloudAsync(broker, new Dictionary<string, string?> { ["Mqtt:Tls:CaCertificate"] = File("ca.crt") }, waitForConsumer: false);

        var refusal = await WaitForRefusalsAsync("set Mqtt:Tls:ClientCertificate and Mqtt:Tls:ClientKey");

        Assert.Contains("TLS: the broker asked for a client certificate and none is configured", refusal, StringComparison.Ordinal);
        Assert.False(cloud.Services.GetRequiredService<MqttIngestor>().Connected);
    }

    [Fact]
    public async Task Cloud_MutualTlsWithACertificateFromAnotherCa_IsRefusedNamingTheCertificateFile()
    {
        await MakeCertificatesAsync();
        await _certificates.AuthorityAsync("other-ca", Token);
        await _certificates.ClientAsync("stranger", "other-ca", "facilities-cloud", Token);
        await using var broker = await StartBrokerAsync(requireCertificate: true);
        await using var cloud = await StartCloudAsync(broker, new Dictionary<string, string?>
        {
            ["Mqtt:Tls:CaCertificate"] = File("ca.crt"),
            ["Mqtt:Tls:ClientCertificate"] = File("stranger.crt"),
            ["Mqtt:Tls:ClientKey"] = File("stranger.key"),
        }, waitForConsumer: false);

        var refusal = await WaitForRefusalsAsync($"check that the broker accepts Mqtt:Tls:ClientCertificate '{File("stranger.crt")}'");

        Assert.Contains("alert unknown ca", refusal, StringComparison.Ordinal);
        Assert.False(cloud.Services.GetRequiredService<MqttIngestor>().Connected);
    }

    [Fact]
    public async Task Cloud_BrokerCertificateFromAnotherCa_IsRefusedNamingTheCaFile_AndIngestsNothing()
    {
        await MakeCertificatesAsync();
        await _certificates.AuthorityAsync("other-ca", Token);
        await _certificates.ServerAsync("other-broker", "other-ca", Token, BrokerName);
        await using var broker = await StartBrokerAsync("other-broker");
        using var gateway = await ConnectGatewayAsync(broker, authority: "other-ca");
        // Retained: a consumer that got through, even once, would ingest it.
        var status = Messages.Status(1, DateTimeOffset.UtcNow, "online");
        await gateway.PublishBinaryAsync(status.Topic, status.Payload.ToArray(), MqttQualityOfServiceLevel.AtLeastOnce, retain: true, cancellationToken: Token);
        await using var cloud = await StartCloudAsync(broker, new Dictionary<string, string?> { ["Mqtt:Tls:CaCertificate"] = File("ca.crt") }, waitForConsumer: false);

        var refusal = await WaitForRefusalsAsync($"was not issued by the CA in Mqtt:Tls:CaCertificate '{File("ca.crt")}'");

        Assert.Contains("TLS: the broker's certificate (CN=127.0.0.1)", refusal, StringComparison.Ordinal);
        Assert.False(cloud.Services.GetRequiredService<MqttIngestor>().Connected);
        Assert.Equal(0, await cloud.CountAsync("SELECT COUNT(*) FROM gateways"));
    }

    [Fact]
    public async Task Cloud_ServerNameTheBrokerCertificateDoesNotCarry_IsRefusedNamingBoth()
    {
        await MakeCertificatesAsync();
        await using var broker = await StartBrokerAsync();
        await using var cloud = await StartCloudAsync(broker, new Dictionary<string, string?>
        {
            ["Mqtt:Tls:CaCertificate"] = File("ca.crt"),
            ["Mqtt:Tls:ServerName"] = "other.facilities.test",
        }, waitForConsumer: false);

        var refusal = await WaitForRefusalsAsync("does not carry the name 'other.facilities.test' (Mqtt:Tls:ServerName, by default Mqtt:Host)");

        Assert.Contains($"it is for {BrokerName}, 127.0.0.1", refusal, StringComparison.Ordinal);
        Assert.False(cloud.Services.GetRequiredService<MqttIngestor>().Connected);
    }

    [Fact]
    public async Task Cloud_ServerNameTheBrokerCertificateCarries_ConnectsByAddress()
    {
        await MakeCertificatesAsync();
        await using var broker = await StartBrokerAsync();
        await using var cloud = await StartCloudAsync(broker, new Dictionary<string, string?>
        {
            ["Mqtt:Tls:CaCertificate"] = File("ca.crt"),
            ["Mqtt:Tls:ServerName"] = BrokerName,
        });

        Assert.True(cloud.Services.GetRequiredService<MqttIngestor>().Connected);
        Assert.Contains(_log, l => l.Contains($"over TLS, server name {BrokerName}", StringComparison.Ordinal));
    }

    [Fact]
    public void Build_CaCertificateFileMissing_FailsAtStartNamingTheOptionAndFile()
    {
        var missing = File("missing-ca.crt");
        var error = Assert.Throws<InvalidOperationException>(() => CloudApp.Build([], builder => builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Mqtt:Host"] = "127.0.0.1",
            ["Mqtt:Tls:Enabled"] = "true",
            ["Mqtt:Tls:CaCertificate"] = missing,
            ["Storage:ConnectionString"] = $"Data Source={File("cloud.db")}",
        })));

        Assert.Equal($"configuration section 'Mqtt': Mqtt:Tls:CaCertificate: file '{missing}' does not exist", error.Message);
    }

    public void Dispose() => _certificates.Dispose();
}
