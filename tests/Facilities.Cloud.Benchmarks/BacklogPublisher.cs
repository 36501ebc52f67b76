using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace Facilities.Cloud.Benchmarks;

/// <summary>
/// Publishes a backlog as its gateways would: one MQTT connection per gateway, QoS 1, in sequence order. A window of
/// publishes waits for its PUBACKs at a time; Mosquitto acknowledges a message only after queueing it for every
/// subscriber's session, so when this returns the whole backlog waits at the broker.
/// </summary>
internal static class BacklogPublisher
{
    private const int Window = 500;

    public static async Task PublishAsync(int port, IReadOnlyList<BacklogMessage> backlog, CancellationToken cancellationToken)
    {
        await Task.WhenAll(backlog.GroupBy(m => m.Gateway).Select(g => PublishGatewayAsync(port, g.Key, [.. g], cancellationToken)));
    }

    private static async Task PublishGatewayAsync(int port, string gateway, IReadOnlyList<BacklogMessage> messages, CancellationToken cancellationToken)
    {
        using var client = new MqttClientFactory().CreateMqttClient();
        var options = new MqttClientOptionsBuilder()
            .WithTcpServer("127.0.0.1", port)
            .WithClientId($"bench-publisher-{gateway}")
            .WithProtocolVersion(MqttProtocolVersion.V311) // no receive maximum to respect: the broker takes what comes
            .WithCleanSession()
            .Build();
        await client.ConnectAsync(options, cancellationToken);
        var pending = new Queue<Task<MqttClientPublishResult>>(Window);
        foreach (var message in messages)
        {
            if (pending.Count == Window)
            {
                Check(await pending.Dequeue(), gateway);
            }

            pending.Enqueue(client.PublishAsync(
                new MqttApplicationMessageBuilder().WithTopic(message.Topic).WithPayload(message.Payload).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build(),
                cancellationToken));
        }

        foreach (var result in await Task.WhenAll(pending))
        {
            Check(result, gateway);
        }

        await client.DisconnectAsync(cancellationToken: cancellationToken);
    }

    private static void Check(MqttClientPublishResult result, string gateway)
    {
        if (!result.IsSuccess)
        {
            throw new InvalidOperationException($"the broker refused a message of {gateway}: {result.ReasonCode} {result.ReasonString}");
        }
    }
}
