using Facilities.Cloud.Ingestion;

namespace Facilities.Cloud.Tests.Ingestion;

/// <summary>Section <c>Mqtt:Tls</c> checked at start, and what is checked again before every connection.</summary>
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

    public void Dispose() => _certificates.Dispose();
}
