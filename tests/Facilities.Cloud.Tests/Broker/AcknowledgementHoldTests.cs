using System.Threading.Channels;
using Facilities.Cloud.Broker;
using Facilities.Telemetry;
using MQTTnet;
using MQTTnet.Protocol;

namespace Facilities.Cloud.Tests.Broker;

/// <summary>
/// The embedded broker with a storing consumer (user <c>cloud</c> here, as the cloud's own consumer in production): a
/// gateway's acknowledgement waits for the consumer's, and a connection may hold only so many.
/// </summary>
public sealed class AcknowledgementHoldTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task GatewayPublish_ConsumerHasNotAcknowledged_GatewayWaitsUntilItDoes()
    {
        await using var broker = await RunningBroker.StartAsync(Token, o => o with { StoringConsumer = "cloud" });
        using var consumer = await broker.ConnectAsync("cloud", "pw-cloud", Token);
        var deliveries = await ManualInboxAsync(consumer);
        using var gateway = await broker.ConnectAsync("site-a/gw-a", "pw-a", Token);

        var publish = gateway.PublishStringAsync(Topics.Telemetry("site-a", "gw-a", "lift-1"), "{\"seq\":1}", MqttQualityOfServiceLevel.AtLeastOnce, cancellationToken: Token);
        var delivery = await deliveries.ReadAsync(Token).AsTask().WaitAsync(TimeSpan.FromSeconds(10), Token);

        Assert.False(publish.IsCompleted, "the gateway was acknowledged before the consumer acknowledged (stored) the message");
        await delivery.AcknowledgeAsync(Token);
        var result = await publish.WaitAsync(TimeSpan.FromSeconds(10), Token);
        Assert.Equal(MqttClientPublishReasonCode.Success, result.ReasonCode);
    }

    [Fact]
    public async Task GatewayPublish_MoreUnacknowledgedThanTheReceiveMaximum_ConnectionIsClosed()
    {
        await using var broker = await RunningBroker.StartAsync(Token, o => o with { StoringConsumer = "cloud", Limits = o.Limits with { ReceiveMaximum = 3 } });
        using var consumer = await broker.ConnectAsync("cloud", "pw-cloud", Token);
        var deliveries = await ManualInboxAsync(consumer);
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var gateway = await broker.ConnectAsync("site-a/gw-a", "pw-a", Token);
        gateway.DisconnectedAsync += _ =>
        {
            closed.TrySetResult();
            return Task.CompletedTask;
        };

        // MQTTnet's client ignores the receive maximum the broker announced and sends all four.
        var publishes = Enumerable.Range(1, 4).Select(seq => gateway.PublishStringAsync(
            Topics.Telemetry("site-a", "gw-a", "lift-1"), $"{{\"seq\":{seq}}}", MqttQualityOfServiceLevel.AtLeastOnce, cancellationToken: Token)).ToList();

        await closed.Task.WaitAsync(TimeSpan.FromSeconds(10), Token);
        await Task.WhenAll(publishes.Select(p => p.ContinueWith(_ => { }, TaskScheduler.Default)));
        Assert.All(publishes, p => Assert.False(p.IsCompletedSuccessfully, "a publish was acknowledged although the consumer stored nothing"));
        Assert.True(broker.Broker.Counters.ProtocolViolations >= 1);
        Assert.True(deliveries.Count <= 3);
    }

    [Fact]
    public async Task GatewayPublish_ConsumerNeverStoresIt_ConnectionClosedUnacknowledgedAfterTheTimeout()
    {
        await using var broker = await RunningBroker.StartAsync(Token, o => o with { StoringConsumer = "cloud", Limits = o.Limits with { AcknowledgementTimeout = TimeSpan.FromSeconds(1) } });
        using var consumer = await broker.ConnectAsync("cloud", "pw-cloud", Token);
        var deliveries = await ManualInboxAsync(consumer);
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var gateway = await broker.ConnectAsync("site-a/gw-a", "pw-a", Token);
        gateway.DisconnectedAsync += _ =>
        {
            closed.TrySetResult();
            return Task.CompletedTask;
        };

        var publish = gateway.PublishStringAsync(Topics.Telemetry("site-a", "gw-a", "lift-1"), "{\"seq\":1}", MqttQualityOfServiceLevel.AtLeastOnce, cancellationToken: Token);
        await deliveries.ReadAsync(Token).AsTask().WaitAsync(TimeSpan.FromSeconds(10), Token);

        // Not stored: the gateway is disconnected (and publishes again from its outbox), never told "done".
        await closed.Task.WaitAsync(TimeSpan.FromSeconds(30), Token);
        await publish.ContinueWith(_ => { }, TaskScheduler.Default);
        Assert.False(publish.IsCompletedSuccessfully, "the gateway was acknowledged although the consumer stored nothing");
    }

    [Fact]
    public async Task Hold_ConsumerAcknowledgesBeforeMqttnetReportsTheCopyEnqueued_SenderIsStillReleased()
    {
        // The consumer in this process can store and acknowledge its copy before MQTTnet's "enqueued" event runs; the
        // copy is counted before it is queued, so that early acknowledgement still releases the sender.
        var hold = new AcknowledgementHold();
        var packet = new MQTTnet.Packets.MqttPublishPacket { Topic = "facilities/v1/site-a/gw-a/lift-1/telemetry", PacketIdentifier = 7, QualityOfServiceLevel = MqttQualityOfServiceLevel.AtLeastOnce, Payload = new System.Buffers.ReadOnlySequence<byte>("{\"seq\":1}"u8.ToArray()) };
        var held = hold.Receive(packet);
        var message = new MqttApplicationMessage { Topic = packet.Topic, Payload = packet.Payload, UserProperties = packet.UserProperties };
        Assert.Same(held, hold.Claim(message));

        hold.Enqueuing("cloud-slot-0", message);
        hold.Acknowledged("cloud-slot-0", new MQTTnet.Packets.MqttPublishPacket { Topic = packet.Topic, Payload = packet.Payload, PacketIdentifier = 1 });
        held.Dispatched();

        Assert.True(held.Stored.IsCompleted, "the sender's acknowledgement is still held after its only copy was stored");
        Assert.True(await held.Stored);
        Assert.Equal(0, hold.PendingCopies);
    }

    [Fact]
    public async Task Hold_CopyDroppedFromAFullConsumerQueue_SenderIsNotAcknowledged()
    {
        var hold = new AcknowledgementHold();
        var packet = new MQTTnet.Packets.MqttPublishPacket { Topic = "facilities/v1/site-a/gw-a/lift-1/telemetry", PacketIdentifier = 8, QualityOfServiceLevel = MqttQualityOfServiceLevel.AtLeastOnce, Payload = new System.Buffers.ReadOnlySequence<byte>("{\"seq\":2}"u8.ToArray()) };
        var held = hold.Receive(packet);
        var message = new MqttApplicationMessage { Topic = packet.Topic, Payload = packet.Payload, UserProperties = packet.UserProperties };
        hold.Claim(message);

        hold.Enqueuing("cloud-slot-0", message);
        hold.Dropped("cloud-slot-0", message);
        held.Dispatched();

        Assert.True(held.Stored.IsCompleted);
        Assert.False(await held.Stored);
        Assert.Equal(0, hold.PendingCopies);
    }

    /// <summary>Deliveries to <paramref name="consumer"/>, which acknowledges only when the test says so.</summary>
    private static async Task<ChannelReader<MqttApplicationMessageReceivedEventArgs>> ManualInboxAsync(IMqttClient consumer)
    {
        var deliveries = Channel.CreateUnbounded<MqttApplicationMessageReceivedEventArgs>();
        consumer.ApplicationMessageReceivedAsync += e =>
        {
            e.AutoAcknowledge = false;
            deliveries.Writer.TryWrite(e);
            return Task.CompletedTask;
        };
        await consumer.SubscribeAsync(Topics.AllFilter, MqttQualityOfServiceLevel.AtLeastOnce, Token);
        return deliveries.Reader;
    }
}
