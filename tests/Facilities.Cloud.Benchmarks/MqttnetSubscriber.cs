using System.Buffers;
using System.Diagnostics;
using System.Threading.Channels;
using Facilities.Cloud.Ingestion;
using Facilities.Cloud.TelemetryStore;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace Facilities.Cloud.Benchmarks;

/// <summary>
/// The second reference: a bare MQTTnet client connected like the cloud's <see cref="MqttIngestor"/> (MQTT 5, persistent
/// session, the same receive maximum, the same subscriptions in a shared group of its own, manual acknowledgement), handing every message over a channel to
/// a consumer that copies its payload and acknowledges it, and doing nothing else. It is what the cloud's MQTT client
/// alone can drain on this machine: the ceiling of any work done behind it.
/// </summary>
/// <remarks>
/// With <paramref name="relay"/> it is the third reference, a bare relay: the same client, each batch of what has arrived
/// (at most the cloud's batch size) validated by the cloud's validator, written as the cloud's line protocol and sent
/// to InfluxDB in one write, its messages acknowledged after InfluxDB's 204 — what a forwarder such as Telegraf's MQTT
/// consumer with an InfluxDB output does, with no database and no rules. Its drain bounds any service that keeps the
/// history in InfluxDB on this machine: the broker and InfluxDB take their share of the cores for it as for the cloud.
/// </remarks>
internal sealed class MqttnetSubscriber(int port, string clientId, MqttnetSubscriber.InfluxTarget? relay = null)
{
    /// <summary>Where the relay writes: InfluxDB's v1 write endpoint for one database, millisecond timestamps.</summary>
    public sealed record InfluxTarget(string Url, string Database, int BatchSize);


    public string ClientId => clientId;

    /// <summary>Connects once, subscribes and leaves, so the broker queues what is published next.</summary>
    public async Task CreateSessionAsync(CancellationToken cancellationToken)
    {
        using var client = new MqttClientFactory().CreateMqttClient();
        await ConnectAsync(client, cancellationToken);
        await client.DisconnectAsync(cancellationToken: cancellationToken);
    }

    /// <summary>Connects on the session and returns when <paramref name="count"/> messages were acknowledged: from before the connect to the last acknowledgement.</summary>
    public async Task<TimeSpan> DrainAsync(int count, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var received = Channel.CreateBounded<MqttApplicationMessageReceivedEventArgs>(new BoundedChannelOptions(4096) { SingleReader = true });
        using var client = new MqttClientFactory().CreateMqttClient();
        client.ApplicationMessageReceivedAsync += async e =>
        {
            e.AutoAcknowledge = false;
            await received.Writer.WriteAsync(e, deadline.Token);
        };

        using var http = relay is null ? null : new HttpClient();
        var clock = Stopwatch.StartNew();
        var consumer = relay is null ? ConsumeAsync(received.Reader, count, deadline.Token) : RelayAsync(received.Reader, count, http!, relay, deadline.Token);
        await ConnectAsync(client, deadline.Token);
        await consumer;
        var elapsed = clock.Elapsed;
        await client.DisconnectAsync(cancellationToken: cancellationToken);
        return elapsed;
    }

    private static async Task ConsumeAsync(ChannelReader<MqttApplicationMessageReceivedEventArgs> reader, int count, CancellationToken cancellationToken)
    {
        var bytes = 0L;
        for (var done = 0; done < count;)
        {
            var e = await reader.ReadAsync(cancellationToken);
            bytes += e.ApplicationMessage.Payload.ToArray().Length;
            await e.AcknowledgeAsync(cancellationToken);
            done++;
        }

        GC.KeepAlive(bytes);
    }

    /// <summary>
    /// Takes what has arrived (at most a batch) and writes its lines to InfluxDB, acknowledging the batch after InfluxDB's
    /// 204; while one batch's write is out, the next is taken and formatted (as the cloud validates its next batch while a
    /// transaction runs). Until <paramref name="count"/> messages.
    /// </summary>
    private static async Task RelayAsync(
        ChannelReader<MqttApplicationMessageReceivedEventArgs> reader, int count, HttpClient http, InfluxTarget target, CancellationToken cancellationToken)
    {
        var write = new Uri($"{target.Url.TrimEnd('/')}/write?db={Uri.EscapeDataString(target.Database)}&precision=ms");
        Task sent = Task.CompletedTask;
        for (var done = 0; done < count;)
        {
            var batch = new List<MqttApplicationMessageReceivedEventArgs>(target.BatchSize) { await reader.ReadAsync(cancellationToken) };
            while (batch.Count < target.BatchSize && reader.TryRead(out var more))
            {
                batch.Add(more);
            }

            var body = new ArrayBufferWriter<byte>(64 * 1024);
            var now = DateTimeOffset.UtcNow;
            foreach (var e in batch)
            {
                var payload = e.ApplicationMessage.Payload;
                var (envelope, rejection) = MessageValidator.Validate(e.ApplicationMessage.Topic, payload.IsSingleSegment ? payload.FirstSpan : payload.ToArray(), now);
                TelemetrySchema.WriteLines(body, envelope ?? throw new InvalidOperationException($"the relay refused a message of the backlog: {rejection?.Reason}"));
            }

            await sent;
            sent = SendAsync(batch, body.WrittenMemory);
            done += batch.Count;
        }

        await sent;

        async Task SendAsync(List<MqttApplicationMessageReceivedEventArgs> batch, ReadOnlyMemory<byte> lines)
        {
            using (var content = new ReadOnlyMemoryContent(lines))
            using (var response = await http.PostAsync(write, content, cancellationToken))
            {
                if (!response.IsSuccessStatusCode)
                {
                    throw new InvalidOperationException($"InfluxDB refused the relay's write: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}");
                }
            }

            foreach (var e in batch)
            {
                await e.AcknowledgeAsync(cancellationToken);
            }
        }
    }

    private async Task ConnectAsync(IMqttClient client, CancellationToken cancellationToken)
    {
        var options = BufferedMqttStreamProvider.Apply(new MqttClientOptionsBuilder()
            .WithTcpServer("127.0.0.1", port)
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithClientId(clientId)
            .WithCleanStart(false)
            .WithSessionExpiryInterval(3600)
            .WithReceiveMaximum(new CloudMqttOptions().ReceiveMaximum)
            .Build());
        await client.ConnectAsync(options, cancellationToken);
        var subscribe = new MqttClientSubscribeOptionsBuilder();
        foreach (var filter in MqttIngestor.Filters(clientId))
        {
            subscribe.WithTopicFilter(filter, MqttQualityOfServiceLevel.AtLeastOnce);
        }

        await client.SubscribeAsync(subscribe.Build(), cancellationToken);
    }
}
