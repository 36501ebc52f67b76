using System.Threading.Channels;
using Facilities.Telemetry;
using System.Buffers;
using MQTTnet;
using MQTTnet.Protocol;

namespace Facilities.Cloud.Ingestion;

/// <summary>Configuration section <c>Mqtt</c>: the broker the cloud consumes from.</summary>
public sealed class CloudMqttOptions
{
    /// <summary>Broker host; empty means the embedded broker (section <c>Broker</c>) on loopback.</summary>
    public string? Host { get; set; }

    public int Port { get; set; } = 1883;

    public string? Username { get; set; }

    public string? Password { get; set; }

    /// <summary>Client id; instances must differ. Default: <c>facilities-cloud-{machine}-{process id}</c>.</summary>
    public string? ClientId { get; set; }

    /// <summary>
    /// Shared-subscription group: instances in one group split telemetry, events and command results between them.
    /// Retained topics (gateway status, device state) are subscribed without sharing, because brokers do not send
    /// retained messages to shared subscriptions; every instance gets them and the duplicates are dropped by seq.
    /// Empty: plain subscriptions (one instance).
    /// </summary>
    public string SharedGroup { get; set; } = "facilities-cloud";

    /// <summary>
    /// How long connecting may take, CONNACK and the subscriptions included: a broker (or something in its place) that
    /// accepts the TCP connection and never answers would otherwise hold the consumer for ever.
    /// </summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How long the broker keeps the session (and queues messages) while the cloud is away.</summary>
    public TimeSpan SessionExpiry { get; set; } = TimeSpan.FromDays(1);

    /// <summary>
    /// Messages handled in one database transaction at most. A consumer takes what has arrived, up to this, so batches
    /// grow only while messages wait (a backlog). Messages are acknowledged after their batch commits, and the broker
    /// sends no more while <see cref="ReceiveMaximum"/> are unacknowledged: the window holds two batches, the one in its
    /// transaction and the next one arriving.
    /// </summary>
    public int BatchSize { get; set; } = 2000;

    /// <summary>Unacknowledged messages the broker may send at once (MQTT 5 receive maximum): two batches.</summary>
    public ushort ReceiveMaximum => (ushort)Math.Clamp(2 * BatchSize, 1, ushort.MaxValue);

    /// <summary>Section <c>Mqtt:Tls</c>: TLS to a broker on another machine (off by default).</summary>
    public CloudMqttTlsOptions Tls { get; set; } = new();

    /// <summary>Start-up check, before the embedded broker fills in <see cref="Host"/>; each problem names its key.</summary>
    public IReadOnlyList<string> Validate() =>
    [
        .. BrokerTls.Validate(Tls, Host),
        .. ConnectTimeout > TimeSpan.Zero ? Array.Empty<string>() : [$"Mqtt:ConnectTimeout: must be positive, got {ConnectTimeout}"],
    ];
}

/// <summary>
/// Consumes gateway messages with QoS 1 on a persistent session and acknowledges each one only after its batch
/// committed, so a crash before the commit means the broker delivers it again (and the seq check makes that harmless).
/// Reconnects for ever with backoff.
/// </summary>
public sealed partial class MqttIngestor(CloudMqttOptions options, IngestPipeline pipeline, IngestionHealth health, TimeProvider time, ILogger<MqttIngestor> logger) : BackgroundService
{
    private readonly Channel<MqttApplicationMessageReceivedEventArgs> _received = Channel.CreateBounded<MqttApplicationMessageReceivedEventArgs>(
        new BoundedChannelOptions(4096) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });

    private readonly TaskCompletionSource _subscribed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes once the first subscription is in place (tests and start-up logs wait for it).</summary>
    public Task Subscribed => _subscribed.Task;

    public bool Connected { get; private set; }

    public static IReadOnlyList<string> Filters(string sharedGroup)
    {
        var shared = string.IsNullOrEmpty(sharedGroup) ? string.Empty : $"$share/{sharedGroup}/";
        return
        [
            $"{shared}{Topics.Root}/+/+/devices/+/telemetry",
            $"{shared}{Topics.Root}/+/+/devices/+/events",
            $"{shared}{Topics.Root}/+/+/command-results",
            $"{Topics.Root}/+/+/devices/+/state",
            $"{Topics.Root}/+/+/status",
        ];
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var client = new MqttClientFactory().CreateMqttClient();
        client.ApplicationMessageReceivedAsync += async e =>
        {
            e.AutoAcknowledge = false;
            await _received.Writer.WriteAsync(e, stoppingToken);
        };
        client.DisconnectedAsync += e =>
        {
            Connected = false;
            return Task.CompletedTask;
        };

        var consumer = ConsumeAsync(stoppingToken);
        var delay = TimeSpan.FromSeconds(1);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (!client.IsConnected)
                {
                    await ConnectWithinAsync(client, stoppingToken);
                    delay = TimeSpan.FromSeconds(1);
                }

                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception error)
            {
                LogConnectFailed(logger, options.Host ?? "embedded", options.Port, Reason(error), delay.TotalSeconds);
                await Task.Delay(delay, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
            }
        }

        _received.Writer.TryComplete();
        await consumer.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (client.IsConnected)
        {
            await client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().WithReason(MqttClientDisconnectOptionsReason.NormalDisconnection).Build(), CancellationToken.None);
        }
    }

    /// <summary>What to tell the operator: a TLS failure names its setting and file, however deep MQTTnet wrapped it.</summary>
    private static string Reason(Exception error)
    {
        for (var e = error; e is not null; e = e.InnerException)
        {
            if (e is MqttTlsException tls)
            {
                return $"TLS: {tls.Message}";
            }
        }

        return error.Message;
    }

    /// <summary>Connects within <see cref="CloudMqttOptions.ConnectTimeout"/>, or throws a timeout that says so.</summary>
    private async Task ConnectWithinAsync(IMqttClient client, CancellationToken stoppingToken)
    {
        using var limit = new CancellationTokenSource(options.ConnectTimeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, limit.Token);
        try
        {
            await ConnectAsync(client, linked.Token);
        }
        catch (OperationCanceledException) when (limit.IsCancellationRequested && !stoppingToken.IsCancellationRequested)
        {
            throw new TimeoutException($"no answer to CONNECT and SUBSCRIBE within {options.ConnectTimeout.TotalSeconds:0.#} s (Mqtt:ConnectTimeout)");
        }
    }

    private async Task ConnectAsync(IMqttClient client, CancellationToken cancellationToken)
    {
        var host = string.IsNullOrEmpty(options.Host) ? "127.0.0.1" : options.Host;
        var builder = new MqttClientOptionsBuilder()
            .WithTcpServer(host, options.Port)
            .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500)
            .WithClientId(options.ClientId ?? $"facilities-cloud-{Environment.MachineName.ToLowerInvariant()}-{Environment.ProcessId}")
            .WithCleanStart(false)
            .WithSessionExpiryInterval((uint)options.SessionExpiry.TotalSeconds)
            .WithKeepAlivePeriod(TimeSpan.FromSeconds(15))
            .WithReceiveMaximum(options.ReceiveMaximum);
        if (!string.IsNullOrEmpty(options.Username))
        {
            builder.WithCredentials(options.Username, options.Password);
        }

        var tls = options.Tls.Enabled ? new BrokerTls(options.Tls, host, time) : null;
        MqttClientConnectResult result;
        try
        {
            result = await client.ConnectAsync(BufferedMqttStreamProvider.Apply(builder.Build(), tls), cancellationToken);
        }
        catch (Exception error) when (!cancellationToken.IsCancellationRequested && tls?.RefusedAfterHandshake(error) is { } tlsRefusal)
        {
            throw tlsRefusal;
        }

        if (result.ResultCode != MqttClientConnectResultCode.Success)
        {
            // MQTTnet 5 returns a refusal (bad credentials, a certificate the broker maps to no user) instead of throwing.
            throw new InvalidOperationException($"the broker refused the connection: {result.ResultCode}{(string.IsNullOrEmpty(result.ReasonString) ? "" : $" ({result.ReasonString})")}");
        }

        var subscribe = new MqttClientSubscribeOptionsBuilder();
        foreach (var filter in Filters(options.SharedGroup))
        {
            subscribe.WithTopicFilter(filter, MqttQualityOfServiceLevel.AtLeastOnce);
        }

        // A resumed session keeps its subscriptions; subscribing again is harmless and covers a broker that lost them.
        var granted = await client.SubscribeAsync(subscribe.Build(), cancellationToken);
        var refused = granted.Items.Where(i => i.ResultCode > MqttClientSubscribeResultCode.GrantedQoS2).Select(i => $"{i.TopicFilter.Topic}: {i.ResultCode}").ToList();
        if (refused.Count > 0)
        {
            throw new InvalidOperationException($"the broker refused subscriptions: {string.Join(", ", refused)}");
        }

        Connected = true;
        LogConnected(logger, options.Host ?? "embedded", options.Port, tls is null ? "plain TCP" : $"TLS, server name {tls.ServerName}", result.IsSessionPresent);
        _subscribed.TrySetResult();
    }

    private async Task ConsumeAsync(CancellationToken cancellationToken)
    {
        // A batch's acknowledgements go out while the next batch is handled: awaiting them one after another took about
        // 7% of the consumer's time in the ingest benchmark (tests/Facilities.Cloud.Benchmarks). Only one batch's
        // acknowledgements are in flight at a time, and each still follows its own batch's commit.
        var acknowledging = Task.CompletedTask;

        // The next batch is taken and validated (JSON, contract) on the other core while this one's transaction runs;
        // batches are still handled one at a time and in order.
        var next = TakeAsync(Task.CompletedTask, cancellationToken);
        while (await next is { } batch)
        {
            var handled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            next = Task.Run(() => TakeAsync(handled.Task, cancellationToken), cancellationToken);
            health.Waiting();
            for (var delay = TimeSpan.FromSeconds(1); ; delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(30).Ticks)))
            {
                try
                {
                    await pipeline.ProcessAsync(batch.Validated, cancellationToken);
                    health.Stored();
                    handled.TrySetResult();
                    break;
                }
                catch (Exception error) when (!cancellationToken.IsCancellationRequested)
                {
                    // The database is down or refusing: the messages stay unacknowledged (the broker stops sending
                    // once its in-flight window is full) and the batch is tried again until the database is back.
                    LogBatchNotStored(logger, batch.Received.Count, error.Message, delay.TotalSeconds);
                    health.Failed(error.Message);
                    await Task.Delay(delay, cancellationToken);
                }
            }

            await acknowledging;
            acknowledging = AcknowledgeAsync(batch.Received, cancellationToken);
        }

        await acknowledging;
    }

    /// <summary>
    /// What has arrived, up to a batch, validated; null once the channel is closed. Taken at once only when a whole
    /// batch waits, otherwise once <paramref name="previous"/> is handled: taken early, a batch would hold only what
    /// came in the moment after the previous one was taken.
    /// </summary>
    private async Task<ReceivedBatch?> TakeAsync(Task previous, CancellationToken cancellationToken)
    {
        if (!await _received.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        if (_received.Reader.Count < options.BatchSize)
        {
            await previous.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        var received = new List<MqttApplicationMessageReceivedEventArgs>(Math.Min(options.BatchSize, _received.Reader.Count));
        while (received.Count < options.BatchSize && _received.Reader.TryRead(out var item))
        {
            received.Add(item);
        }

        var messages = new RawMessage[received.Count];
        for (var i = 0; i < messages.Length; i++)
        {
            messages[i] = new RawMessage(received[i].ApplicationMessage.Topic, received[i].ApplicationMessage.Payload.ToArray());
        }

        return new ReceivedBatch(received, pipeline.Validate(messages));
    }

    private sealed record ReceivedBatch(List<MqttApplicationMessageReceivedEventArgs> Received, ValidatedBatch Validated);

    /// <summary>Stops quietly when the service stops: what is left unacknowledged comes again after the restart, and the seq check drops it.</summary>
    private async Task AcknowledgeAsync(List<MqttApplicationMessageReceivedEventArgs> batch, CancellationToken cancellationToken)
    {
        foreach (var e in batch)
        {
            try
            {
                await e.AcknowledgeAsync(cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception error) when (error is not OperationCanceledException)
            {
                // The connection dropped after the commit: the broker will redeliver, and the seq check drops it.
                LogAckFailed(logger, e.ApplicationMessage.Topic, error.Message);
            }
        }
    }

    [LoggerMessage(EventId = 400, Level = LogLevel.Information, Message = "Consuming from MQTT broker {Host}:{Port} over {Transport} (session resumed: {Resumed})")]
    private static partial void LogConnected(ILogger logger, string host, int port, string transport, bool resumed);

    [LoggerMessage(EventId = 401, Level = LogLevel.Warning, Message = "MQTT broker {Host}:{Port}: {Error}; retrying in {Seconds} s")]
    private static partial void LogConnectFailed(ILogger logger, string host, int port, string error, double seconds);

    [LoggerMessage(EventId = 402, Level = LogLevel.Error, Message = "{Count} messages could not be stored ({Error}); unacknowledged, trying again in {Seconds} s")]
    private static partial void LogBatchNotStored(ILogger logger, int count, string error, double seconds);

    [LoggerMessage(EventId = 403, Level = LogLevel.Debug, Message = "Acknowledging {Topic} failed: {Error}")]
    private static partial void LogAckFailed(ILogger logger, string topic, string error);
}
