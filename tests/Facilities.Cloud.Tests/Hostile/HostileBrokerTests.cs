using System.Text;
using Facilities.Cloud.Broker;
using Facilities.Cloud.Tests.Broker;
using Facilities.Telemetry;
using MQTTnet;
using MQTTnet.Protocol;

namespace Facilities.Cloud.Tests.Hostile;

/// <summary>
/// Replays of attacks on the embedded broker at the packet level (issue 17): what a connection may cost before and
/// after login, and how it ends when it breaks the protocol.
/// </summary>
public sealed class HostileBrokerTests
{
    private const int SmallPacketLimit = 4096;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task Connect_AnnouncingA256MegabyteBody_IsClosedAtOnce()
    {
        await using var broker = await RunningBroker.StartAsync(Token);
        using var socket = await RawMqttSocket.ConnectAsync(broker.Port, Token);

        await socket.SendAsync([.. RawMqttSocket.FixedHeader(0x10, 268_435_455), 0, 4, (byte)'M'], Token);

        var elapsed = await socket.WaitUntilClosedAsync(Deadline, Token);
        Assert.True(elapsed < TimeSpan.FromSeconds(3), $"closed after {elapsed.TotalSeconds:0.0} s, before the connect timeout was due");
        Assert.Equal(1, broker.Broker.Counters.PacketsTooLarge);
    }

    [Fact]
    public async Task IdleSocket_IsClosedAfterTheConnectTimeout()
    {
        await using var broker = await RunningBroker.StartAsync(Token, WithTimeouts);
        using var socket = await RawMqttSocket.ConnectAsync(broker.Port, Token);

        var elapsed = await socket.WaitUntilClosedAsync(Deadline, Token);

        Assert.True(elapsed >= TimeSpan.FromSeconds(0.8), $"closed after {elapsed.TotalSeconds:0.0} s, before the timeout");
        Assert.Equal(1, broker.Broker.Counters.ConnectTimeouts);
    }

    [Fact]
    public async Task HalfAConnect_IsClosedAfterTheConnectTimeout()
    {
        await using var broker = await RunningBroker.StartAsync(Token, WithTimeouts);
        using var socket = await RawMqttSocket.ConnectAsync(broker.Port, Token);
        var connect = RawMqttSocket.Connect("site-a/gw-a", "site-a/gw-a", "pw-a");

        await socket.SendAsync(connect[..(connect.Length / 2)], Token);

        await socket.WaitUntilClosedAsync(Deadline, Token);
        Assert.Equal(1, broker.Broker.Counters.ConnectTimeouts);
    }

    [Fact]
    public async Task TlsSocket_NeverStartingTheHandshake_IsClosedAfterTheConnectTimeout()
    {
        var folder = Directory.CreateTempSubdirectory("broker-tls-idle-").FullName;
        try
        {
            using var certificate = BrokerTlsTests.WritePem(folder);
            var tlsPort = FreePort.Next();
            await using var broker = await RunningBroker.StartAsync(Token, o => WithTimeouts(o) with
            {
                Tls = new BrokerTlsOptions { Port = tlsPort, Certificate = Path.Combine(folder, "broker.pem"), Key = Path.Combine(folder, "broker.key") },
            });
            using var socket = await RawMqttSocket.ConnectAsync(tlsPort, Token);

            var elapsed = await socket.WaitUntilClosedAsync(Deadline, Token);

            Assert.True(elapsed >= TimeSpan.FromSeconds(0.8), $"closed after {elapsed.TotalSeconds:0.0} s, before the timeout");
            Assert.Equal(1, broker.Broker.Counters.ConnectTimeouts);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Connack_ToAnMqtt5Client_AnnouncesTheMaximumPacketSize()
    {
        await using var broker = await RunningBroker.StartAsync(Token, o => o with { Limits = o.Limits with { MaxPacketSize = SmallPacketLimit } });
        using var client = new MqttClientFactory().CreateMqttClient();

        var result = await client.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", broker.Port)
            .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500).WithClientId("site-a/gw-a").WithCredentials("site-a/gw-a", "pw-a").Build(), Token);

        Assert.Equal(MqttClientConnectResultCode.Success, result.ResultCode);
        Assert.Equal((uint)SmallPacketLimit, result.MaximumPacketSize);
        Assert.Equal(0, result.TopicAliasMaximum);
    }

    [Fact]
    public async Task Publish_AboveTheMaximumPacketSize_ClosesTheConnectionAndIsNotRetained()
    {
        await using var broker = await RunningBroker.StartAsync(Token, o => o with { Limits = o.Limits with { MaxPacketSize = SmallPacketLimit } });
        using var socket = await RawMqttSocket.ConnectAsync(broker.Port, Token);
        Assert.Equal(0, await socket.LoginAsync("site-a/gw-a", "site-a/gw-a", "pw-a", Token));
        var status = Topics.GatewayStatus("site-a", "gw-a");

        await socket.SendAsync(RawMqttSocket.Publish(status, new byte[SmallPacketLimit], retain: true), Token);

        await socket.WaitUntilClosedAsync(Deadline, Token);
        Assert.Equal(1, broker.Broker.Counters.PacketsTooLarge);
        Assert.DoesNotContain(await broker.Broker.RetainedMessagesAsync(), m => m.Topic == status);
    }

    [Theory]
    [InlineData("facilities/v1/site-a/gw-a/devices/+/state")]
    [InlineData("facilities/v1/site-a/gw-a/#")]
    [InlineData("facilities/v1/site-a/gw-a/status\0")]
    public async Task Publish_WithAWildcardOrNulInItsTopic_ClosesTheConnection(string topic)
    {
        await using var broker = await RunningBroker.StartAsync(Token);
        using var socket = await RawMqttSocket.ConnectAsync(broker.Port, Token);
        Assert.Equal(0, await socket.LoginAsync("site-a/gw-a", "site-a/gw-a", "pw-a", Token));

        await socket.SendAsync(RawMqttSocket.Publish(topic, "{}"u8.ToArray(), retain: false), Token);

        await socket.WaitUntilClosedAsync(Deadline, Token);
        Assert.Equal(1, broker.Broker.Counters.ProtocolViolations);
        var letter = Assert.Single(await broker.DeadLettersAsync(expected: 1, Token));
        Assert.StartsWith("protocol violation", letter.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Publish_WithATopicAlias_ClosesTheConnection()
    {
        await using var broker = await RunningBroker.StartAsync(Token);
        using var gateway = await broker.ConnectAsync("site-a/gw-a", "pw-a", Token);
        var disconnected = new TaskCompletionSource();
        gateway.DisconnectedAsync += _ =>
        {
            disconnected.TrySetResult();
            return Task.CompletedTask;
        };

        // MQTTnet's client sends the alias although the CONNACK allowed none.
        _ = gateway.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(Topics.GatewayStatus("site-a", "gw-a")).WithTopicAlias(1)
            .WithPayload("{}").WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtMostOnce).Build(), Token);

        await disconnected.Task.WaitAsync(Deadline, Token);
        Assert.Equal(1, broker.Broker.Counters.ProtocolViolations);
    }

    [Fact]
    public async Task RetainedMessages_BeyondTheUsersLimit_AreRefusedAndNotStored()
    {
        await using var broker = await RunningBroker.StartAsync(Token, o => o with { Limits = o.Limits with { RetainedMessagesPerUser = 2 } });
        using var gateway = await broker.ConnectAsync("site-a/gw-a", "pw-a", Token);
        var topics = new[] { "lift-1", "lift-2", "lift-3" }.Select(d => Topics.DeviceState("site-a", "gw-a", d)).ToList();

        var results = new List<string>();
        foreach (var topic in topics)
        {
            results.Add(Outcome(await gateway.PublishAsync(Retained(topic, "{\"state\":\"online\"}"), Token)));
        }

        Assert.Equal(["accepted", "accepted", "quota exceeded"], results);
        Assert.Equal(topics[..2], (await broker.Broker.RetainedMessagesAsync()).Select(m => m.Topic).Order(StringComparer.Ordinal));
        Assert.Equal(1, broker.Broker.Counters.RetainedRefused);
    }

    [Fact]
    public async Task RetainedBytes_BeyondTheClientsLimit_AreRefusedButReplacingOnesOwnMessageCountsTheDifference()
    {
        await using var broker = await RunningBroker.StartAsync(Token, o => o with { Limits = o.Limits with { RetainedBytesPerClient = 100 } });
        using var gateway = await broker.ConnectAsync("site-a/gw-a", "pw-a", Token);
        var status = Topics.GatewayStatus("site-a", "gw-a");

        var first = await gateway.PublishAsync(Retained(status, new string('a', 60)), Token);
        var second = await gateway.PublishAsync(Retained(Topics.DeviceState("site-a", "gw-a", "lift-1"), new string('b', 60)), Token);
        var replacement = await gateway.PublishAsync(Retained(status, new string('c', 90)), Token);

        Assert.Equal(["accepted", "quota exceeded", "accepted"], [Outcome(first), Outcome(second), Outcome(replacement)]);
        var retained = Assert.Single(await broker.Broker.RetainedMessagesAsync());
        Assert.Equal(new string('c', 90), Encoding.UTF8.GetString(retained.Payload));
    }

    [Fact]
    public async Task RetainedLimits_CountMessagesRestoredFromDisk()
    {
        await using var broker = await RunningBroker.StartAsync(Token, o => o with { Limits = o.Limits with { RetainedMessagesPerUser = 1 } });
        using (var gateway = await broker.ConnectAsync("site-a/gw-a", "pw-a", Token))
        {
            await gateway.PublishAsync(Retained(Topics.GatewayStatus("site-a", "gw-a"), "{}"), Token);
            await gateway.DisconnectAsync(cancellationToken: Token);
        }

        await broker.RestartAsync(Token);
        using var again = await broker.ConnectAsync("site-a/gw-a", "pw-a", Token);
        var result = await again.PublishAsync(Retained(Topics.DeviceState("site-a", "gw-a", "lift-1"), "{}"), Token);

        Assert.Equal(MqttClientPublishReasonCode.QuotaExceeded, result.ReasonCode);
    }

    private static BrokerOptions WithTimeouts(BrokerOptions options) =>
        options with { Limits = options.Limits with { ConnectTimeout = TimeSpan.FromSeconds(1), AuthenticationTimeout = TimeSpan.FromSeconds(2) } };

    /// <summary>Without subscribers an accepted publish is answered "no matching subscribers", with them "success".</summary>
    private static string Outcome(MqttClientPublishResult result) => result.ReasonCode switch
    {
        MqttClientPublishReasonCode.Success or MqttClientPublishReasonCode.NoMatchingSubscribers => "accepted",
        MqttClientPublishReasonCode.QuotaExceeded => "quota exceeded",
        var other => other.ToString(),
    };

    private static MqttApplicationMessage Retained(string topic, string payload) => new MqttApplicationMessageBuilder()
        .WithTopic(topic).WithPayload(payload).WithRetainFlag().WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build();
}
