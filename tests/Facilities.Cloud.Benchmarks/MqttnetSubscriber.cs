using System.Buffers;
using System.Diagnostics;
using System.Threading.Channels;
using Facilities.Cloud.Ingestion;
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
internal sealed class MqttnetSubscriber(int port, string clientId)
{
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

        var clock = Stopwatch.StartNew();
        var consumer = ConsumeAsync(received.Reader, count, deadline.Token);
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
