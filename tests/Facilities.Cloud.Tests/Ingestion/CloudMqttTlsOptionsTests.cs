using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Facilities.Cloud.Ingestion;

namespace Facilities.Cloud.Tests.Ingestion;

/// <summary>Section <c>Mqtt:Tls</c> checked at start, and the handshake's own checks and reasons (without a broker).</summary>
public sealed class CloudMqttTlsOptionsTests : IDisposable
{
    private readonly TestCertificates _certificates = new();

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private string File(string name) => _certificates.File(name);

    private async Task MakeClientCertificatesAsync()
    {
        await _certificates.AuthorityAsync("ca", Token);
        await _certificates.ClientAsync("cloud", "ca", "facilities-cloud", Token);
        await _certificates.ClientAsync("other", "ca", "someone-else", Token);
    }

    [Fact]
    public void Validate_TlsOffWithACaCertificate_SaysTheConnectionWouldBePlain()
    {
        var problems = BrokerTls.Validate(new CloudMqttTlsOptions { CaCertificate = "ca.crt" }, "broker.example.net");

        Assert.Equal(["Mqtt:Tls:CaCertificate: set, but Mqtt:Tls:Enabled is not true (the connection would be plain TCP)"], problems);
    }

    [Fact]
    public void Validate_TlsOnWithoutHost_NeedsTheBrokersName()
    {
        var problems = BrokerTls.Validate(new CloudMqttTlsOptions { Enabled = true }, host: null);

        Assert.Single(problems, p => p.StartsWith("Mqtt:Tls:Enabled: needs Mqtt:Host", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_CaFileWithoutCertificates_NamesTheFile()
    {
        System.IO.File.WriteAllText(File("not-a-ca.pem"), "hello\n");

        var problems = BrokerTls.Validate(new CloudMqttTlsOptions { Enabled = true, CaCertificate = File("not-a-ca.pem") }, "broker.example.net");

        Assert.Equal([$"Mqtt:Tls:CaCertificate: file '{File("not-a-ca.pem")}' holds no PEM certificate (-----BEGIN CERTIFICATE-----)"], problems);
    }

    [Fact]
    public async Task Validate_ClientKeyFileMissing_NamesTheKeyFile()
    {
        await MakeClientCertificatesAsync();

        var problems = BrokerTls.Validate(new CloudMqttTlsOptions { Enabled = true, ClientCertificate = File("cloud.crt"), ClientKey = File("missing.key") }, "broker.example.net");

        Assert.Equal([$"Mqtt:Tls:ClientKey: file '{File("missing.key")}' does not exist"], problems);
    }

    [Fact]
    public async Task Validate_ClientKeyOfAnotherCertificate_NamesBothFiles()
    {
        await MakeClientCertificatesAsync();

        var problems = BrokerTls.Validate(new CloudMqttTlsOptions { Enabled = true, ClientCertificate = File("cloud.crt"), ClientKey = File("other.key") }, "broker.example.net");

        Assert.Single(problems, p => p.StartsWith($"Mqtt:Tls:ClientCertificate: '{File("cloud.crt")}' with key '{File("other.key")}' (Mqtt:Tls:ClientKey) cannot be used: ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Validate_ReadableFiles_NoProblems()
    {
        await MakeClientCertificatesAsync();

        var problems = BrokerTls.Validate(new CloudMqttTlsOptions { Enabled = true, CaCertificate = File("ca.crt"), ClientCertificate = File("cloud.crt"), ClientKey = File("cloud.key") }, "broker.example.net");

        Assert.Empty(problems);
    }

    [Fact]
    public async Task Authenticate_ClientCertificateExpired_FailsNamingTheFileBeforeAnyHandshake()
    {
        await MakeClientCertificatesAsync();
        var clock = new ManualClock(DateTimeOffset.UtcNow.AddDays(3)); // openssl made it valid for 2 days
        var tls = new BrokerTls(new CloudMqttTlsOptions { Enabled = true, CaCertificate = File("ca.crt"), ClientCertificate = File("cloud.crt"), ClientKey = File("cloud.key") }, "broker.example.net", clock);
        using var transport = new MemoryStream();

        var error = await Assert.ThrowsAsync<MqttTlsException>(() => tls.AuthenticateAsync(transport, Token));

        Assert.StartsWith($"Mqtt:Tls:ClientCertificate: '{File("cloud.crt")}' (CN=facilities-cloud) expired on ", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, transport.Length);
    }

    [Fact]
    public async Task Authenticate_SelfSignedBrokerCertificateNamedAsTheCa_IsTrusted()
    {
        await _certificates.AuthorityAsync("selfsigned-broker", Token); // openssl req -x509: its own issuer
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var accept = listener.AcceptTcpClientAsync(Token).AsTask();
        using var client = new TcpClient();
        await client.ConnectAsync((IPEndPoint)listener.LocalEndpoint, Token);
        using var server = await accept;
        await using var broker = new SslStream(server.GetStream());
        using var pem = X509Certificate2.CreateFromPemFile(File("selfsigned-broker.crt"), File("selfsigned-broker.key"));
        using var certificate = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
        var tls = new BrokerTls(new CloudMqttTlsOptions { Enabled = true, CaCertificate = File("selfsigned-broker.crt"), ServerName = "selfsigned-broker" }, "127.0.0.1", TimeProvider.System);

        var handshake = broker.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = certificate }, Token);
        await using var stream = await tls.AuthenticateAsync(client.GetStream(), Token);
        await handshake;

        Assert.True(stream.IsAuthenticated);
    }

    [Fact]
    public async Task Authenticate_PortWithoutTls_AsksWhetherItIsATlsListener()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var accept = listener.AcceptTcpClientAsync(Token).AsTask();
        using var client = new TcpClient();
        await client.ConnectAsync((IPEndPoint)listener.LocalEndpoint, Token);
        using (await accept)
        {
            // A plain MQTT listener drops a connection that opens with a TLS hello; closing at once does the same.
        }

        var tls = new BrokerTls(new CloudMqttTlsOptions { Enabled = true }, "127.0.0.1", TimeProvider.System);

        var error = await Assert.ThrowsAsync<MqttTlsException>(() => tls.AuthenticateAsync(client.GetStream(), Token));

        Assert.StartsWith("TLS handshake with 127.0.0.1 failed: ", error.Message, StringComparison.Ordinal);
        Assert.EndsWith("; is the port (Mqtt:Port) a TLS listener?", error.Message, StringComparison.Ordinal);
    }

    public void Dispose() => _certificates.Dispose();
}
