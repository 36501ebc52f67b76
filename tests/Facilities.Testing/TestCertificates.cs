namespace Facilities.Testing;

/// <summary>
/// Certificate authorities and certificates made with the real <c>openssl</c> command line, as an operator would make
/// them, as PEM files in a temporary folder (<c>{name}.crt</c> and <c>{name}.key</c>). Missing openssl fails the test.
/// </summary>
public sealed class TestCertificates : IDisposable
{
    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("certificates-").FullName;

    /// <summary>The full path of a file in <see cref="Directory"/>, e.g. <c>ca.crt</c>.</summary>
    public string File(string name) => Path.Combine(Directory, name);

    /// <summary>A self-signed CA: <c>{name}.crt</c>, <c>{name}.key</c>.</summary>
    public Task AuthorityAsync(string name, CancellationToken cancellationToken) =>
        OpenSslAsync(cancellationToken, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", $"/CN={name}", "-keyout", $"{name}.key", "-out", $"{name}.crt");

    /// <summary>A server certificate for 127.0.0.1 and <paramref name="dnsNames"/>, signed by <paramref name="authority"/>.</summary>
    public Task ServerAsync(string name, string authority, CancellationToken cancellationToken, params string[] dnsNames) =>
        IssueAsync(name, authority, "/CN=127.0.0.1", $"subjectAltName={string.Join(',', dnsNames.Select(d => $"DNS:{d}").Append("IP:127.0.0.1"))}", cancellationToken);

    /// <summary>A client certificate (for mutual TLS) with common name <paramref name="commonName"/>, signed by <paramref name="authority"/>.</summary>
    public Task ClientAsync(string name, string authority, string commonName, CancellationToken cancellationToken) =>
        IssueAsync(name, authority, $"/CN={commonName}", "extendedKeyUsage=clientAuth", cancellationToken);

    private async Task IssueAsync(string name, string authority, string subject, string extension, CancellationToken cancellationToken)
    {
        await OpenSslAsync(cancellationToken, "req", "-newkey", "rsa:2048", "-nodes", "-subj", subject, "-keyout", $"{name}.key", "-out", $"{name}.csr");
        await System.IO.File.WriteAllTextAsync(File($"{name}.ext"), extension + "\n", cancellationToken);
        await OpenSslAsync(cancellationToken, "x509", "-req", "-in", $"{name}.csr", "-CA", $"{authority}.crt", "-CAkey", $"{authority}.key", "-CAcreateserial", "-days", "2", "-out", $"{name}.crt", "-extfile", $"{name}.ext");
    }

    private async Task OpenSslAsync(CancellationToken cancellationToken, params string[] arguments) =>
        (await ChildProcess.RunAsync("openssl", arguments, TimeSpan.FromMinutes(1), cancellationToken, new ChildProcessOptions { WorkingDirectory = Directory })).EnsureSuccess();

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}
