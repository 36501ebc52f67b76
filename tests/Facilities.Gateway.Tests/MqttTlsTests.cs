using Facilities.Gateway.Outbox;
using Facilities.Gateway.Polling;
using Facilities.Gateway.Publishing;
using Facilities.Telemetry;
using Microsoft.Extensions.Logging.Abstractions;

namespace Facilities.Gateway.Tests;

/// <summary>The publisher over mutual TLS to a Mosquitto that requires client certificates signed by the site's CA.</summary>
public sealed class MqttTlsTests : IDisposable
{
    private readonly TestCertificates _certificates = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string File(string name) => _certificates.File(name);

    private async Task MakeCertificatesAsync()
    {
        await _certificates.AuthorityAsync("ca", Ct);
        await _certificates.ServerAsync("server", "ca", Ct);
        await _certificates.ClientAsync("client", "ca", "gw-tls", Ct);
    }

    private async Task<(long Published, long Depth)> PublishOneAsync(int port, MqttOptions options)
    {
        await using var outbox = new DiskOutbox(new OutboxOptions { Directory = Path.Combine(_certificates.Directory, "outbox-" + Guid.NewGuid().ToString("N")), FlushInterval = TimeSpan.FromMilliseconds(20) }, NullLogger.Instance);
        var publisher = new MqttPublisher(options with { Port = port, MaxReconnectDelay = TimeSpan.FromMilliseconds(200) }, new GatewayIdentity("estate-tls", "gw-tls", "t"), outbox,
            () => new GatewayStatusMessage(Schema.Version, 0, DateTimeOffset.UtcNow, "gw-tls", "online", "t", 0, 0, 0, 0), NullLogger.Instance);
        outbox.Enqueue(Topics.Telemetry("estate-tls", "gw-tls", "d"), retain: false, MessageClass.Telemetry, seq => "{}"u8.ToArray());
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var run = publisher.RunAsync(stop.Token);
        await Eventually.HoldsWithinAsync(() => publisher.Published >= 2, TimeSpan.FromSeconds(4), Ct);

        await stop.CancelAsync();
        await run;
        return (publisher.Published, outbox.Depth);
    }

    [Fact]
    public async Task MutualTls_WithTheSitesClientCertificate_Delivers_WithoutIt_Nothing()
    {
        await MakeCertificatesAsync();
        await using var broker = await MosquittoBroker.StartAsync(Ct,
            $"cafile {File("ca.crt")}\ncertfile {File("server.crt")}\nkeyfile {File("server.key")}\nrequire_certificate true\nuse_identity_as_username true");
        var tls = new MqttOptions { Host = "127.0.0.1", UseTls = true, CaCertificate = File("ca.crt") };

        var withCertificate = await PublishOneAsync(broker.Port, tls with { ClientCertificate = File("client.crt"), ClientKey = File("client.key") });
        Assert.Equal((2L, 0L), withCertificate);   // the telemetry and the gateway's own status, both acknowledged

        var withoutCertificate = await PublishOneAsync(broker.Port, tls);
        Assert.Equal(0, withoutCertificate.Published);
        Assert.True(withoutCertificate.Depth > 0, "the reading stays in the outbox");
    }

    public void Dispose() => _certificates.Dispose();
}
