using Facilities.Gateway.Outbox;
using Facilities.Gateway.Polling;
using Facilities.Telemetry;
using MQTTnet;
using System.Security.Cryptography.X509Certificates;
using MQTTnet.Protocol;

namespace Facilities.Gateway.Publishing;

public sealed record MqttOptions
{
    public string Host { get; set; } = "127.0.0.1";

    public int Port { get; set; } = 1883;

    public string? Username { get; set; }

    public string? Password { get; set; }

    public bool UseTls { get; set; }

    /// <summary>PEM file of the CA that signed the broker's certificate; without it the system trust store is used.</summary>
    public string? CaCertificate { get; set; }

    /// <summary>PEM certificate and key files identifying this gateway to the broker (mutual TLS).</summary>
    public string? ClientCertificate { get; set; }

    public string? ClientKey { get; set; }

    /// <summary>Session kept by the broker while the gateway is away, so commands wait for it.</summary>
    public TimeSpan SessionExpiry { get; set; } = TimeSpan.FromDays(1);

    public TimeSpan KeepAlive { get; set; } = TimeSpan.FromSeconds(15);

    public TimeSpan MaxReconnectDelay { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>Who the gateway is on the wire.</summary>
public sealed record GatewayIdentity(string Site, string Gateway, string Version);

/// <summary>
/// Sends the outbox to the broker with QoS 1 on a persistent session and removes each message only when the broker
/// acknowledged it. The connection carries a retained last will saying the gateway is offline; on every connect the
/// gateway publishes its retained "online" status. MQTTnet 5 has no managed client, so reconnection lives here:
/// for ever, with exponential backoff up to <see cref="MqttOptions.MaxReconnectDelay"/>.
/// </summary>
public sealed partial class MqttPublisher(
    MqttOptions options,
    GatewayIdentity identity,
    DiskOutbox outbox,
    Func<GatewayStatusMessage> status,
    ILogger logger,
    Func<CommandMessage, CancellationToken, Task>? onCommand = null)
{
    private readonly IMqttClient _client = new MqttClientFactory().CreateMqttClient();

    /// <summary>Commands that could not be read at all (bad JSON, wrong shape): logged and counted, never executed.</summary>
    public long RejectedCommands { get; private set; }

    public bool Connected => _client.IsConnected;

    public long Published { get; private set; }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var delay = TimeSpan.FromSeconds(1);
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                try
                {
                    await ConnectAsync(cancellationToken);
                    delay = TimeSpan.FromSeconds(1);
                    await PumpAsync(cancellationToken);
                }
                catch (Exception e) when (!cancellationToken.IsCancellationRequested)
                {
                    // Whatever broke the link (refused, timed out, reset, the library's own timeout), the publisher
                    // must not die: readings keep waiting in the outbox and it tries again.
                    LogDisconnected(logger, options.Host, options.Port, e.Message, delay.TotalSeconds);
                    await Task.Delay(delay, cancellationToken);
                    delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, options.MaxReconnectDelay.Ticks));
                }
            }
        }
        catch (Exception) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping. A publish in flight may end in the library's own timeout rather than a cancellation; its
            // message went back to the outbox either way, so stopping is not an error.
        }
        finally
        {
            await StopAsync();
        }
    }

    private async Task ConnectAsync(CancellationToken cancellationToken)
    {
        var will = MessageJson.Serialize(status() with { State = "offline", Seq = 0 });
        var builder = new MqttClientOptionsBuilder()
            .WithTcpServer(options.Host, options.Port)
            .WithClientId(ClientIds.Gateway(options.Username, identity.Site, identity.Gateway))
            .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500)
            .WithCleanStart(false)
            .WithSessionExpiryInterval((uint)options.SessionExpiry.TotalSeconds)
            .WithKeepAlivePeriod(options.KeepAlive)
            .WithTimeout(TimeSpan.FromSeconds(10))
            .WithWillTopic(Topics.GatewayStatus(identity.Site, identity.Gateway))
            .WithWillPayload(will)
            .WithWillRetain(true)
            .WithWillQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce);
        if (options.Username is not null)
        {
            builder.WithCredentials(options.Username, options.Password ?? "");
        }

        if (options.UseTls)
        {
            builder.WithTlsOptions(ConfigureTls);
        }

        // MQTTnet 5 reports a refusal (bad credentials, not authorised) in the result instead of throwing: make it an
        // error, so the reconnect loop backs off and the log says why.
        var result = await _client.ConnectAsync(builder.Build(), cancellationToken);
        if (result.ResultCode != MqttClientConnectResultCode.Success)
        {
            throw new InvalidOperationException($"the broker refused the connection: {result.ResultCode}{(string.IsNullOrEmpty(result.ReasonString) ? "" : $" ({result.ReasonString})")}");
        }

        _maxPacketSize = result.MaximumPacketSize is > 0 and var max ? max : null;
        LogConnected(logger, options.Host, options.Port);
        if (onCommand is not null && !_subscribed)
        {
            _client.ApplicationMessageReceivedAsync += e => HandleCommandAsync(e, cancellationToken);
            _subscribed = true;
        }

        if (onCommand is not null)
        {
            await _client.SubscribeAsync(Topics.Commands(identity.Site, identity.Gateway), MqttQualityOfServiceLevel.AtLeastOnce, cancellationToken);
        }

        outbox.Enqueue(Topics.GatewayStatus(identity.Site, identity.Gateway), retain: true, MessageClass.Event,
            seq => MessageJson.Serialize(status() with { Seq = seq, State = "online" }));
    }

    private bool _subscribed;

    /// <summary>The broker's Maximum Packet Size from CONNACK (MQTT 5); null when it announced none.</summary>
    private uint? _maxPacketSize;

    /// <summary>
    /// An upper bound of a PUBLISH's size: fixed header (5), topic (2 + bytes), packet id (2), properties (content type
    /// "application/json" and their length, under 32) and the payload.
    /// </summary>
    private static long PacketSizeBound(OutboxMessage message) => 5 + 2 + System.Text.Encoding.UTF8.GetByteCount(message.Topic) + 2 + 32 + message.Payload.Length;

    private void ConfigureTls(MqttClientTlsOptionsBuilder tls)
    {
        tls.UseTls().WithTargetHost(options.Host);
        if (options.CaCertificate is { } ca)
        {
            tls.WithTrustChain([X509CertificateLoader.LoadCertificateFromFile(ca)]);
        }

        if (options.ClientCertificate is { } certificate)
        {
            // Exported and re-imported so the private key is usable by SslStream on every platform.
            using var pem = X509Certificate2.CreateFromPemFile(certificate, options.ClientKey);
            tls.WithClientCertificates([X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null)]);
        }
    }

    private async Task HandleCommandAsync(MqttApplicationMessageReceivedEventArgs e, CancellationToken cancellationToken)
    {
        CommandMessage? command = null;
        try
        {
            command = MessageJson.Deserialize<CommandMessage>(System.Buffers.BuffersExtensions.ToArray(e.ApplicationMessage.Payload));
        }
        catch (System.Text.Json.JsonException error)
        {
            LogBadCommand(logger, e.ApplicationMessage.Topic, error.Message);
        }

        if (command is null || string.IsNullOrEmpty(command.Id) || string.IsNullOrEmpty(command.Device))
        {
            RejectedCommands++;
            return;
        }

        await onCommand!(command, cancellationToken);
    }

    private async Task PumpAsync(CancellationToken cancellationToken)
    {
        while (_client.IsConnected)
        {
            var message = await outbox.NextAsync(cancellationToken);
            if (_maxPacketSize is { } max && PacketSizeBound(message) > max)
            {
                // The broker would close the connection on it (MQTT 5, 3.1.2.11.4): sent again after every reconnect, it
                // would block the outbox for ever. Dropped as a refused message is.
                LogTooLarge(logger, message.Topic, message.Payload.Length, max);
                outbox.Acknowledge(message.Seq);
                continue;
            }

            try
            {
                var result = await _client.PublishAsync(new MqttApplicationMessageBuilder()
                    .WithTopic(message.Topic)
                    .WithPayload(message.Payload)
                    .WithRetainFlag(message.Retain)
                    .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
                    .WithContentType("application/json")
                    .Build(), cancellationToken);
                if (result.IsSuccess)
                {
                    outbox.Acknowledge(message.Seq);
                    Published++;
                }
                else
                {
                    // The broker refused it (e.g. not authorised): keeping it would block the queue for ever.
                    LogRefused(logger, message.Topic, result.ReasonCode.ToString());
                    outbox.Acknowledge(message.Seq);
                }
            }
            catch
            {
                outbox.Return(message);
                throw;
            }
        }

        throw new MQTTnet.Exceptions.MqttCommunicationException("the connection to the broker was lost");
    }

    private async Task StopAsync()
    {
        if (_client.IsConnected)
        {
            try
            {
                // Ask the broker to publish the will: the cloud learns at once that this gateway stopped.
                await _client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder()
                    .WithReason(MqttClientDisconnectOptionsReason.DisconnectWithWillMessage).Build());
            }
            catch (MQTTnet.Exceptions.MqttCommunicationException)
            {
            }
        }

        _client.Dispose();
    }

    [LoggerMessage(303, LogLevel.Warning, "Unreadable command on {Topic} ignored: {Reason}")]
    private static partial void LogBadCommand(ILogger logger, string topic, string reason);

    [LoggerMessage(300, LogLevel.Information, "Connected to MQTT broker {Host}:{Port}")]
    private static partial void LogConnected(ILogger logger, string host, int port);

    [LoggerMessage(301, LogLevel.Warning, "MQTT broker {Host}:{Port} unavailable ({Reason}); retrying in {Seconds} s, readings wait in the outbox")]
    private static partial void LogDisconnected(ILogger logger, string host, int port, string reason, double seconds);

    [LoggerMessage(304, LogLevel.Error, "A message on {Topic} ({Bytes} bytes of payload) exceeds the broker's maximum packet size of {Max} bytes; it is dropped")]
    private static partial void LogTooLarge(ILogger logger, string topic, int bytes, uint max);

    [LoggerMessage(302, LogLevel.Error, "The broker refused a message on {Topic}: {Reason}; it is dropped")]
    private static partial void LogRefused(ILogger logger, string topic, string reason);
}
