using System.Globalization;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Facilities.Cloud.Ingestion;

/// <summary>
/// Configuration section <c>Mqtt:Tls</c>: TLS from the cloud's consumer to an external broker on another machine, with
/// a client certificate when the broker asks for one (mutual TLS). There is deliberately no switch to accept a
/// certificate that does not verify: a broker with a self-signed certificate is trusted by naming that certificate (or
/// the private CA that issued it) in <see cref="CaCertificate"/>.
/// </summary>
public sealed record CloudMqttTlsOptions
{
    public bool Enabled { get; init; }

    /// <summary>PEM file of the CA (or CAs) that issued the broker's certificate: then only these are trusted for the broker. Unset: the system's trust store.</summary>
    public string? CaCertificate { get; init; }

    /// <summary>PEM file of the cloud's own certificate (intermediates may follow it), for a broker that requires client certificates.</summary>
    public string? ClientCertificate { get; init; }

    /// <summary>PEM file of <see cref="ClientCertificate"/>'s private key; unset when the key follows the certificate in its file.</summary>
    public string? ClientKey { get; init; }

    /// <summary>The name (or address) the broker's certificate must carry; unset: <c>Mqtt:Host</c>.</summary>
    public string? ServerName { get; init; }
}

/// <summary>A TLS failure of the cloud's broker connection, saying which setting or file is concerned and why.</summary>
internal sealed class MqttTlsException(string message, Exception? inner = null) : IOException(message, inner);

/// <summary>
/// The cloud consumer's side of TLS to the broker: checks the broker's certificate against <c>Mqtt:Tls</c> and shows the
/// cloud's own certificate. The files are read again for every connection, so a renewed certificate is used from the
/// next reconnect on, without a restart.
/// </summary>
internal sealed class BrokerTls(CloudMqttTlsOptions options, string host, TimeProvider time)
{
    private const string Section = "Mqtt:Tls";

    private bool _handshaken;
    private bool _askedForMissingCertificate;

    public string ServerName => string.IsNullOrEmpty(options.ServerName) ? host : options.ServerName;

    /// <summary>
    /// Why the connection failed after a successful handshake and before the broker answered CONNECT, when TLS is the
    /// reason; otherwise null. With TLS 1.3 a broker checks the client's certificate only after the handshake, so its
    /// refusal (a missing, expired or foreign client certificate) arrives as a bare decryption error on the first read.
    /// </summary>
    public MqttTlsException? RefusedAfterHandshake(Exception error)
    {
        ArgumentNullException.ThrowIfNull(error);
        if (!_handshaken)
        {
            return null;
        }

        var reason = Innermost(error);
        if (_askedForMissingCertificate)
        {
            // Brokers may ask without requiring one, so this is a likely cause, not a certain one.
            return new($"the broker asked for a client certificate and none is configured (if it requires one, set {Section}:ClientCertificate and {Section}:ClientKey); it then closed the connection: {reason}", error);
        }

        if (!reason.Contains(" alert ", StringComparison.Ordinal))
        {
            return null;
        }

        return new($"the broker ended the TLS connection after the handshake: {reason}{ClientCertificateHint()}", error);
    }

    private string ClientCertificateHint() => string.IsNullOrEmpty(options.ClientCertificate)
        ? $"; if the broker requires a client certificate, set {Section}:ClientCertificate and {Section}:ClientKey"
        : $"; check that the broker accepts {Section}:ClientCertificate '{Path.GetFullPath(options.ClientCertificate)}' (issued by the CA of its cafile, not expired)";

    /// <summary>Start-up check of <c>Mqtt:Tls</c> (each problem names its key and file); empty when usable.</summary>
    public static IReadOnlyList<string> Validate(CloudMqttTlsOptions options, string? host)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = new List<string>();
        if (!options.Enabled)
        {
            // A certificate set while TLS is off is someone who believes the connection is encrypted.
            foreach (var (name, value) in new[] { ("CaCertificate", options.CaCertificate), ("ClientCertificate", options.ClientCertificate), ("ClientKey", options.ClientKey), ("ServerName", options.ServerName) })
            {
                if (!string.IsNullOrEmpty(value))
                {
                    problems.Add($"{Section}:{name}: set, but {Section}:Enabled is not true (the connection would be plain TCP)");
                }
            }

            return problems;
        }

        if (string.IsNullOrEmpty(host))
        {
            problems.Add($"{Section}:Enabled: needs Mqtt:Host (the broker's name); without it the cloud consumes from its embedded broker on loopback, without TLS");
        }

        if (!string.IsNullOrEmpty(options.ClientKey) && string.IsNullOrEmpty(options.ClientCertificate))
        {
            problems.Add($"{Section}:ClientKey: set without {Section}:ClientCertificate");
        }

        try
        {
            if (!string.IsNullOrEmpty(options.CaCertificate))
            {
                DisposeAll(ReadCertificates("CaCertificate", options.CaCertificate));
            }

            LoadClientCertificate(options)?.Dispose();
        }
        catch (MqttTlsException error)
        {
            problems.Add(error.Message);
        }

        return problems;
    }

    /// <summary>Authenticates the broker over <paramref name="transport"/> and returns the encrypted stream; throws <see cref="MqttTlsException"/> saying why not.</summary>
    public async Task<SslStream> AuthenticateAsync(Stream transport, CancellationToken cancellationToken)
    {
        ClientCertificate? client = null;
        X509Certificate2Collection? authorities = null;
        SslStream? ssl = null;
        string? rejection = null;
        var asked = false;
        _handshaken = false;
        try
        {
            client = LoadClientCertificate(options);
            CheckValidity(client);
            authorities = string.IsNullOrEmpty(options.CaCertificate) ? null : ReadCertificates("CaCertificate", options.CaCertificate);
            var authentication = new SslClientAuthenticationOptions
            {
                TargetHost = ServerName,
                ClientCertificateContext = client is null ? null : SslStreamCertificateContext.Create(client.Certificate, client.Intermediates, offline: true),
                // Called only when the broker asks for a certificate, and only when there is none to give.
                LocalCertificateSelectionCallback = client is null ? (_, _, _, _, _) => { asked = true; return null!; } : null,
                RemoteCertificateValidationCallback = (_, certificate, chain, errors) =>
                {
                    rejection = errors == SslPolicyErrors.None ? null : DescribeRejection(certificate, chain, errors);
                    return rejection is null;
                },
            };
            if (authorities is not null)
            {
                // Only the configured CA, not the system's store: a broker certificate from any public CA is refused.
                // Revocation is not checked, as .NET does not by default: a private CA rarely publishes a CRL.
                authentication.CertificateChainPolicy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
                authentication.CertificateChainPolicy.CustomTrustStore.AddRange(authorities);
            }

            ssl = new SslStream(transport, leaveInnerStreamOpen: false);
            try
            {
                // A handshake that never finishes ends with the consumer's connect deadline (Mqtt:ConnectTimeout).
                await ssl.AuthenticateAsClientAsync(authentication, cancellationToken);
            }
            catch (Exception error) when (error is AuthenticationException or IOException && !cancellationToken.IsCancellationRequested)
            {
                if (rejection is not null)
                {
                    throw new MqttTlsException($"the broker's certificate {rejection}", error);
                }

                // An alert is the broker refusing (TLS 1.2 checks the client's certificate in the handshake); a bare
                // end of the connection is most often a listener without TLS.
                var reason = Innermost(error);
                var hint = reason.Contains(" alert ", StringComparison.Ordinal) ? ClientCertificateHint() : "; is the port (Mqtt:Port) a TLS listener?";
                throw new MqttTlsException($"TLS handshake with {ServerName} failed: {reason}{hint}", error);
            }

            (_handshaken, _askedForMissingCertificate) = (true, asked);
            return ssl;
        }
        catch
        {
            // On success the certificate stays with the connection (SslStream may present it again on renegotiation).
            client?.Dispose();
            if (ssl is not null)
            {
                await ssl.DisposeAsync();
            }

            throw;
        }
        finally
        {
            DisposeAll(authorities);
        }
    }

    /// <summary>An expired client certificate is refused by the broker with a bare alert; saying so here names the file.</summary>
    private void CheckValidity(ClientCertificate? client)
    {
        if (client is null)
        {
            return;
        }

        var now = time.GetUtcNow();
        var certificate = client.Certificate;
        if (now > certificate.NotAfter.ToUniversalTime())
        {
            throw new MqttTlsException($"{Section}:ClientCertificate: '{client.Path}' ({certificate.Subject}) expired on {Stamp(certificate.NotAfter)}");
        }

        if (now < certificate.NotBefore.ToUniversalTime())
        {
            throw new MqttTlsException($"{Section}:ClientCertificate: '{client.Path}' ({certificate.Subject}) is not valid before {Stamp(certificate.NotBefore)}");
        }
    }

    private string DescribeRejection(X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (certificate is null || errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable))
        {
            return "is missing: the broker sent none";
        }

        var subject = certificate.Subject;
        var reasons = new List<string>();
        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch))
        {
            var names = certificate is X509Certificate2 leaf ? NamesOf(leaf) : subject;
            reasons.Add($"does not carry the name '{ServerName}' ({Section}:ServerName, by default Mqtt:Host); it is for {names}");
        }

        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateChainErrors) && chain is not null)
        {
            reasons.AddRange(DescribeChain(chain));
        }

        return $"({subject}) {string.Join("; ", reasons.Distinct(StringComparer.Ordinal))}";
    }

    private IEnumerable<string> DescribeChain(X509Chain chain)
    {
        var trustNamed = false;
        foreach (var element in chain.ChainElements)
        {
            foreach (var status in element.ChainElementStatus)
            {
                var certificate = element.Certificate;
                switch (status.Status)
                {
                    case X509ChainStatusFlags.NotTimeValid when time.GetUtcNow() > certificate.NotAfter.ToUniversalTime():
                        yield return $"has expired: {certificate.Subject} was valid until {Stamp(certificate.NotAfter)}";
                        break;
                    case X509ChainStatusFlags.NotTimeValid:
                        yield return $"is not valid yet: {certificate.Subject} is valid from {Stamp(certificate.NotBefore)}";
                        break;
                    case X509ChainStatusFlags.UntrustedRoot or X509ChainStatusFlags.PartialChain when !trustNamed:
                        trustNamed = true;
                        yield return string.IsNullOrEmpty(options.CaCertificate)
                            ? $"is not trusted by the system's certificate store (issuer {chain.ChainElements[^1].Certificate.Issuer}); set {Section}:CaCertificate to the CA that issued it"
                            : $"was not issued by the CA in {Section}:CaCertificate '{Path.GetFullPath(options.CaCertificate)}' (issuer {chain.ChainElements[^1].Certificate.Issuer})";
                        break;
                    case X509ChainStatusFlags.UntrustedRoot or X509ChainStatusFlags.PartialChain:
                        break;
                    default:
                        yield return $"does not verify: {certificate.Subject}: {status.Status} ({status.StatusInformation.Trim()})";
                        break;
                }
            }
        }

        if (!trustNamed && chain.ChainStatus.Any(s => s.Status is X509ChainStatusFlags.UntrustedRoot or X509ChainStatusFlags.PartialChain))
        {
            yield return string.IsNullOrEmpty(options.CaCertificate)
                ? $"is not trusted by the system's certificate store; set {Section}:CaCertificate to the CA that issued it"
                : $"was not issued by the CA in {Section}:CaCertificate '{Path.GetFullPath(options.CaCertificate)}'";
        }
    }

    private static string NamesOf(X509Certificate2 certificate)
    {
        var names = certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>()
            .SelectMany(e => e.EnumerateDnsNames().Concat(e.EnumerateIPAddresses().Select(a => a.ToString())))
            .ToList();
        return names.Count > 0 ? string.Join(", ", names) : $"{certificate.Subject} (no subject alternative names)";
    }

    private static string Stamp(DateTime local) => local.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);

    /// <summary>The most specific message (OpenSSL's, with the TLS alert), not the wrappers' "see inner exception".</summary>
    private static string Innermost(Exception error)
    {
        var e = error;
        while (e.InnerException is not null)
        {
            e = e.InnerException;
        }

        return e.Message.TrimEnd('.');
    }

    /// <summary>Every certificate in a PEM file; names the setting and the file when it cannot be read.</summary>
    private static X509Certificate2Collection ReadCertificates(string name, string path)
    {
        var full = Path.GetFullPath(path);
        var certificates = new X509Certificate2Collection();
        try
        {
            certificates.ImportFromPemFile(full);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException or CryptographicException)
        {
            throw new MqttTlsException($"{Section}:{name}: file '{full}' {Unreadable(error)}", error);
        }

        if (certificates.Count == 0)
        {
            throw new MqttTlsException($"{Section}:{name}: file '{full}' holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
        }

        return certificates;
    }

    private static ClientCertificate? LoadClientCertificate(CloudMqttTlsOptions options)
    {
        if (string.IsNullOrEmpty(options.ClientCertificate))
        {
            return null;
        }

        var certificatePath = Path.GetFullPath(options.ClientCertificate);
        var keyPath = string.IsNullOrEmpty(options.ClientKey) ? null : Path.GetFullPath(options.ClientKey);
        var chain = ReadCertificates("ClientCertificate", certificatePath);
        if (keyPath is not null && !File.Exists(keyPath))
        {
            DisposeAll(chain);
            throw new MqttTlsException($"{Section}:ClientKey: file '{keyPath}' does not exist");
        }

        try
        {
            // Exported and imported again so that SslStream can use the private key on every platform.
            using var pem = X509Certificate2.CreateFromPemFile(certificatePath, keyPath);
            var certificate = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
            var intermediates = new X509Certificate2Collection();
            foreach (var other in chain)
            {
                if (other.Thumbprint == certificate.Thumbprint)
                {
                    other.Dispose();
                }
                else
                {
                    intermediates.Add(other);
                }
            }

            return new ClientCertificate(certificatePath, certificate, intermediates);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException or CryptographicException)
        {
            DisposeAll(chain);
            var key = keyPath is null ? "with its key in the same file" : $"with key '{keyPath}' ({Section}:ClientKey)";
            throw new MqttTlsException($"{Section}:ClientCertificate: '{certificatePath}' {key} cannot be used: {Unreadable(error)}", error);
        }
    }

    private static string Unreadable(Exception error) => error switch
    {
        FileNotFoundException or DirectoryNotFoundException => "does not exist",
        UnauthorizedAccessException => "cannot be read (permission denied for this user)",
        _ => $"cannot be read: {error.Message.TrimEnd('.')}",
    };

    private static void DisposeAll(X509Certificate2Collection? certificates)
    {
        if (certificates is null)
        {
            return;
        }

        foreach (var certificate in certificates)
        {
            certificate.Dispose();
        }
    }

    private sealed record ClientCertificate(string Path, X509Certificate2 Certificate, X509Certificate2Collection Intermediates) : IDisposable
    {
        public void Dispose()
        {
            Certificate.Dispose();
            DisposeAll(Intermediates);
        }
    }
}
