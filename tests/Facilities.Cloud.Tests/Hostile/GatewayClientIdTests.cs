using Facilities.Cloud.Broker;
using Facilities.Cloud.Tests.Broker;
using Facilities.Gateway.Outbox;
using Facilities.Gateway.Polling;
using Facilities.Gateway.Publishing;
using Facilities.Telemetry;
using Microsoft.Extensions.Logging.Abstractions;
using MQTTnet;

namespace Facilities.Cloud.Tests.Hostile;

/// <summary>
/// Client-id squatting (issue 17): a gateway's id follows from its credential, the embedded broker refuses it to anyone
/// else, and the rightful gateway takes over its own session.
/// </summary>
public sealed class GatewayClientIdTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Gateway_WithAnotherGatewaysIdAfterARestart_IsRefusedAndTheOwnerGetsIn()
    {
        await using var broker = await RunningBroker.StartAsync(Token);
        await broker.RestartAsync(Token);

        var squatter = await broker.TryConnectAsync("site-b/gw-b", "pw-b", Token, ClientIds.Gateway("site-a/gw-a", "site-a", "gw-a"));
        var owner = await broker.TryConnectAsync("site-a/gw-a", "pw-a", Token, ClientIds.Gateway("site-a/gw-a", "site-a", "gw-a"));

        Assert.Equal(MqttClientConnectResultCode.NotAuthorized, squatter);
        Assert.Equal(MqttClientConnectResultCode.Success, owner);
        Assert.Equal(1, broker.Broker.Counters.ClientIdRefused);
    }

    [Fact]
    public async Task Gateway_WithTheOldIdOfAnotherGateway_IsRefused()
    {
        await using var broker = await RunningBroker.StartAsync(Token);

        var result = await broker.TryConnectAsync("site-b/gw-b", "pw-b", Token, ClientIds.LegacyGateway("site-a", "gw-a"));

        Assert.Equal(MqttClientConnectResultCode.NotAuthorized, result);
    }

    [Fact]
    public async Task Gateway_WithItsOwnOldId_StillGetsIn()
    {
        await using var broker = await RunningBroker.StartAsync(Token);

        var result = await broker.TryConnectAsync("site-a/gw-a", "pw-a", Token, ClientIds.LegacyGateway("site-a", "gw-a"));

        Assert.Equal(MqttClientConnectResultCode.Success, result);
    }

    [Fact]
    public async Task OldIdsThatTwoGatewaysShare_AreRefusedToBoth()
    {
        // Site "a-b" + gateway "c" and site "a" + gateway "b-c" both rendered "facilities-gateway-a-b-c".
        BrokerUser[] users =
        [
            new() { Username = "a-b/c", Password = "pw-1", Role = BrokerRole.Gateway, Site = "a-b", Gateway = "c" },
            new() { Username = "a/b-c", Password = "pw-2", Role = BrokerRole.Gateway, Site = "a", Gateway = "b-c" },
        ];
        await using var broker = await RunningBroker.StartAsync(Token, o => o with { Users = users });
        Assert.Equal(ClientIds.LegacyGateway("a-b", "c"), ClientIds.LegacyGateway("a", "b-c"));

        var first = await broker.TryConnectAsync("a-b/c", "pw-1", Token, ClientIds.LegacyGateway("a-b", "c"));
        var second = await broker.TryConnectAsync("a/b-c", "pw-2", Token, ClientIds.LegacyGateway("a", "b-c"));

        Assert.Equal((MqttClientConnectResultCode.NotAuthorized, MqttClientConnectResultCode.NotAuthorized), (first, second));
    }

    [Fact]
    public void GatewayIds_OfSitesAndGatewaysWithDashes_AreDistinct() =>
        Assert.NotEqual(ClientIds.Gateway(null, "a-b", "c"), ClientIds.Gateway(null, "a", "b-c"));

    [Fact]
    public async Task Gateway_WithAnIdNotItsOwn_IsRefused()
    {
        await using var broker = await RunningBroker.StartAsync(Token);

        var result = await broker.TryConnectAsync("site-a/gw-a", "pw-a", Token, "anything-else");

        Assert.Equal(MqttClientConnectResultCode.NotAuthorized, result);
    }

    [Fact]
    public async Task Gateway_SendingNoId_IsGivenItsUserName()
    {
        await using var broker = await RunningBroker.StartAsync(Token);
        using var client = new MqttClientFactory().CreateMqttClient();

        var result = await client.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", broker.Port)
            .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500).WithClientId("").WithCredentials("site-a/gw-a", "pw-a").Build(), Token);

        Assert.Equal(MqttClientConnectResultCode.Success, result.ResultCode);
        Assert.Equal("site-a/gw-a", result.AssignedClientIdentifier);
    }

    [Fact]
    public async Task Gateway_ConnectingAgain_TakesOverItsOwnSession()
    {
        await using var broker = await RunningBroker.StartAsync(Token);
        using var first = await broker.ConnectAsync("site-a/gw-a", "pw-a", Token, configure: b => b.WithCleanStart(false).WithSessionExpiryInterval(3600));
        var dropped = new TaskCompletionSource();
        first.DisconnectedAsync += _ =>
        {
            dropped.TrySetResult();
            return Task.CompletedTask;
        };

        using var second = await broker.ConnectAsync("site-a/gw-a", "pw-a", Token, configure: b => b.WithCleanStart(false).WithSessionExpiryInterval(3600));

        await dropped.Task.WaitAsync(TimeSpan.FromSeconds(15), Token);
        Assert.True(second.IsConnected);
    }

    [Fact]
    public async Task GatewayPublisher_AMessageAboveTheBrokersMaximumPacketSize_IsDroppedAndTheNextOneDelivered()
    {
        await using var broker = await RunningBroker.StartAsync(Token, o => o with { Limits = o.Limits with { MaxPacketSize = 4096 } });
        using var cloud = await broker.ConnectAsync("cloud", "pw-cloud", Token);
        var inbox = await Inbox.SubscribeAsync(cloud, "facilities/v1/site-a/gw-a/devices/+/telemetry", Token);
        var directory = Directory.CreateTempSubdirectory("gateway-too-large-").FullName;
        try
        {
            await using var outbox = new DiskOutbox(new OutboxOptions { Directory = directory }, NullLogger.Instance);
            outbox.Enqueue(Topics.Telemetry("site-a", "gw-a", "big"), retain: false, MessageClass.Telemetry, _ => new byte[8192]);
            outbox.Enqueue(Topics.Telemetry("site-a", "gw-a", "small"), retain: false, MessageClass.Telemetry, _ => "{}"u8.ToArray());
            var publisher = new MqttPublisher(new MqttOptions { Host = "127.0.0.1", Port = broker.Port, Username = "site-a/gw-a", Password = "pw-a" },
                new GatewayIdentity("site-a", "gw-a", "test"), outbox,
                () => new GatewayStatusMessage(Schema.Version, 0, DateTimeOffset.UtcNow, "gw-a", "online", "test", 0, 0, 0, 0), NullLogger.Instance);
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(Token);
            var running = publisher.RunAsync(stop.Token);

            var delivered = await inbox.NextAsync(Token);

            await stop.CancelAsync();
            await running;
            Assert.Equal(Topics.Telemetry("site-a", "gw-a", "small"), delivered.Topic);
            Assert.Equal(0, broker.Broker.Counters.PacketsTooLarge);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task GatewayPublisher_ConnectsWithItsUserNameAsClientId()
    {
        await using var broker = await RunningBroker.StartAsync(Token);
        var directory = Directory.CreateTempSubdirectory("gateway-client-id-").FullName;
        try
        {
            await using var outbox = new DiskOutbox(new OutboxOptions { Directory = directory }, NullLogger.Instance);
            var identity = new GatewayIdentity("site-a", "gw-a", "test");
            var publisher = new MqttPublisher(new MqttOptions { Host = "127.0.0.1", Port = broker.Port, Username = "site-a/gw-a", Password = "pw-a" }, identity, outbox,
                () => new GatewayStatusMessage(Schema.Version, 0, DateTimeOffset.UtcNow, "gw-a", "online", "test", 0, 0, 0, 0), NullLogger.Instance);
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(Token);
            var running = publisher.RunAsync(stop.Token);

            IReadOnlyList<string> ids = [];
            await Eventually.HoldsWithinAsync(async () => (ids = await broker.Broker.ConnectedClientIdsAsync()).Count > 0, TimeSpan.FromSeconds(20), Token);

            await stop.CancelAsync();
            await running;
            Assert.Equal(["site-a/gw-a"], ids);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
