using System.Threading.Channels;
using MQTTnet;
using MQTTnet.Protocol;

namespace Facilities.Cloud.Tests.Broker;

/// <summary>Messages an MQTT client received, in order, with a bounded wait for the next one.</summary>
internal sealed class Inbox
{
    private readonly Channel<MqttApplicationMessage> _messages = Channel.CreateUnbounded<MqttApplicationMessage>();

    private Inbox(IMqttClient client) => client.ApplicationMessageReceivedAsync += e =>
    {
        _messages.Writer.TryWrite(e.ApplicationMessage);
        return Task.CompletedTask;
    };

    public static async Task<Inbox> SubscribeAsync(IMqttClient client, string filter, CancellationToken cancellationToken)
    {
        var inbox = new Inbox(client);
        var result = await client.SubscribeAsync(filter, MqttQualityOfServiceLevel.AtLeastOnce, cancellationToken);
        Assert.Equal(MqttClientSubscribeResultCode.GrantedQoS1, Assert.Single(result.Items).ResultCode);
        return inbox;
    }

    public async Task<MqttApplicationMessage> NextAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        return await _messages.Reader.ReadAsync(timeout.Token);
    }
}
