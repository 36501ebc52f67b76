using System.Buffers;
using System.Text;
using Facilities.Telemetry;
using MQTTnet;
using MQTTnet.Protocol;

namespace Facilities.Cloud.Tests.Broker;

/// <summary>The embedded broker with real MQTTnet clients over TCP: credentials, topic permissions, retained messages, wills.</summary>
public sealed class EmbeddedBrokerTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Gateway_PublishesItsOwnTopics_CloudReceivesEach()
    {
        await using var broker = await RunningBroker.StartAsync(Token);
        using var cloud = await broker.ConnectAsync("cloud", "pw-cloud", Token);
        var inbox = await Inbox.SubscribeAsync(cloud, Topics.AllFilter, Token);
        using var gateway = await broker.ConnectAsync("site-a/gw-a", "pw-a", Token);
        string[] topics =
        [
            Topics.GatewayStatus("site-a", "gw-a"), Topics.Telemetry("site-a", "gw-a", "lift-1"), Topics.Events("site-a", "gw-a", "lift-1"),
            Topics.DeviceState("site-a", "gw-a", "lift-1"), Topics.CommandResults("site-a", "gw-a"),
        ];

        foreach (var topic in topics)
        {
            var result = await gateway.PublishStringAsync(topic, "{}", MqttQualityOfServiceLevel.AtLeastOnce, cancellationToken: Token);
            Assert.Equal(MqttClientPublishReasonCode.Success, result.ReasonCode);
        }

        foreach (var topic in topics)
        {
            Assert.Equal(topic, (await inbox.NextAsync(Token)).Topic);
        }

        Assert.Equal(0, broker.Broker.RefusedPublishes);
    }

    [Fact]
    public async Task Gateway_PublishesToAnotherSite_IsRefusedAndDeadLettered()
    {
        await using var broker = await RunningBroker.StartAsync(Token);
        using var cloud = await broker.ConnectAsync("cloud", "pw-cloud", Token);
        var inbox = await Inbox.SubscribeAsync(cloud, Topics.AllFilter, Token);
        using var gateway = await broker.ConnectAsync("site-a/gw-a", "pw-a", Token);
        var foreign = Topics.Telemetry("site-b", "gw-b", "boiler-1");

        var refused = await gateway.PublishStringAsync(foreign, "{\"spoofed\":true}", MqttQualityOfServiceLevel.AtLeastOnce, cancellationToken: Token);
        await gateway.PublishStringAsync(Topics.GatewayStatus("site-a", "gw-a"), "{}", MqttQualityOfServiceLevel.AtLeastOnce, cancellationToken: Token);

        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, refused.ReasonCode);
        Assert.Equal(Topics.GatewayStatus("site-a", "gw-a"), (await inbox.NextAsync(Token)).Topic);
        Assert.Equal(1, broker.Broker.RefusedPublishes);
        var letter = Assert.Single(await broker.DeadLettersAsync(expected: 1, Token));
        Assert.Equal(foreign, letter.Topic);
        Assert.StartsWith($"unauthorised: user 'site-a/gw-a' may not publish to {foreign}", letter.Reason, StringComparison.Ordinal);
        Assert.Equal("{\"spoofed\":true}", Encoding.UTF8.GetString(letter.Payload));
    }

    [Fact]
    public async Task Gateway_PublishesCommandsToItself_IsRefused()
    {
        await using var broker = await RunningBroker.StartAsync(Token);
        using var gateway = await broker.ConnectAsync("site-a/gw-a", "pw-a", Token);

        var result = await gateway.PublishStringAsync(Topics.Commands("site-a", "gw-a"), "{}", MqttQualityOfServiceLevel.AtLeastOnce, cancellationToken: Token);

        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, result.ReasonCode);
    }

    [Fact]
    public async Task Gateway_SubscribesToAnotherGatewaysCommands_IsRefused()
    {
        await using var broker = await RunningBroker.StartAsync(Token);
        using var gateway = await broker.ConnectAsync("site-a/gw-a", "pw-a", Token);

        var others = await gateway.SubscribeAsync(Topics.Commands("site-b", "gw-b"), MqttQualityOfServiceLevel.AtLeastOnce, Token);
        var everything = await gateway.SubscribeAsync(Topics.AllFilter, MqttQualityOfServiceLevel.AtLeastOnce, Token);
        var own = await gateway.SubscribeAsync(Topics.Commands("site-a", "gw-a"), MqttQualityOfServiceLevel.AtLeastOnce, Token);

        Assert.Equal(MqttClientSubscribeResultCode.NotAuthorized, Assert.Single(others.Items).ResultCode);
        Assert.Equal(MqttClientSubscribeResultCode.NotAuthorized, Assert.Single(everything.Items).ResultCode);
        Assert.Equal(MqttClientSubscribeResultCode.GrantedQoS1, Assert.Single(own.Items).ResultCode);
        Assert.Equal(2, broker.Broker.RefusedSubscriptions);
    }

    [Fact]
    public async Task Cloud_PublishesACommand_OnlyThatGatewayReceivesIt()
    {
        await using var broker = await RunningBroker.StartAsync(Token);
        using var gatewayA = await broker.ConnectAsync("site-a/gw-a", "pw-a", Token);
        var inboxA = await Inbox.SubscribeAsync(gatewayA, Topics.Commands("site-a", "gw-a"), Token);
        using var gatewayB = await broker.ConnectAsync("site-b/gw-b", "pw-b", Token);
        var inboxB = await Inbox.SubscribeAsync(gatewayB, Topics.Commands("site-b", "gw-b"), Token);
        using var cloud = await broker.ConnectAsync("cloud", "pw-cloud", Token);

        await cloud.PublishStringAsync(Topics.Commands("site-b", "gw-b"), "{\"id\":\"c-1\"}", MqttQualityOfServiceLevel.AtLeastOnce, cancellationToken: Token);
        var telemetry = await cloud.PublishStringAsync(Topics.Telemetry("site-b", "gw-b", "x"), "{}", MqttQualityOfServiceLevel.AtLeastOnce, cancellationToken: Token);

        Assert.Equal(Topics.Commands("site-b", "gw-b"), (await inboxB.NextAsync(Token)).Topic);
        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, telemetry.ReasonCode);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            using var shortWait = CancellationTokenSource.CreateLinkedTokenSource(Token);
            shortWait.CancelAfter(TimeSpan.FromMilliseconds(300));
            await inboxA.NextAsync(shortWait.Token);
        });
    }

    [Theory]
    [InlineData("site-a/gw-a", "wrong")]
    [InlineData("site-b/gw-b", "pw-a")]
    [InlineData("nobody", "pw-a")]
    [InlineData("", "")]
    public async Task Client_WithBadCredentials_IsRefusedAtConnect(string username, string password)
    {
        await using var broker = await RunningBroker.StartAsync(Token);

        var result = await broker.TryConnectAsync(username, password, Token);

        Assert.Equal(MqttClientConnectResultCode.BadUserNameOrPassword, result);
        Assert.Equal(1, broker.Broker.RefusedConnections);
    }

    [Fact]
    public async Task Broker_AllowingAnonymous_LetsAClientWithoutCredentialsPublishAnywhere()
    {
        await using var broker = await RunningBroker.StartAsync(Token, o => o with { AllowAnonymous = true });
        using var client = await broker.ConnectAsync("", "", Token);

        var result = await client.PublishStringAsync("anything/at/all", "x", MqttQualityOfServiceLevel.AtLeastOnce, cancellationToken: Token);

        Assert.True(result.IsSuccess);
    }

    [Fact]
    public async Task Gateway_TakingTheClientIdOfTheCloudsSession_IsRefused()
    {
        await using var broker = await RunningBroker.StartAsync(Token);
        using (var cloud = await broker.ConnectAsync("cloud", "pw-cloud", Token, "facilities-cloud-1", b => b.WithCleanStart(false).WithSessionExpiryInterval(3600)))
        {
            await Inbox.SubscribeAsync(cloud, Topics.AllFilter, Token);
            await cloud.DisconnectAsync(cancellationToken: Token);
        }

        var result = await broker.TryConnectAsync("site-a/gw-a", "pw-a", Token, "facilities-cloud-1");

        Assert.Equal(MqttClientConnectResultCode.NotAuthorized, result);
    }

    [Fact]
    public async Task RetainedStatus_SurvivesABrokerRestart()
    {
        await using var broker = await RunningBroker.StartAsync(Token);
        var status = MessageJson.Serialize(new GatewayStatusMessage(Schema.Version, 7, DateTimeOffset.UtcNow, "gw-a", "online", "1.0", 3, 3, 0, 0));
        using (var gateway = await broker.ConnectAsync("site-a/gw-a", "pw-a", Token))
        {
            await gateway.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(Topics.GatewayStatus("site-a", "gw-a")).WithPayload(status)
                .WithRetainFlag().WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build(), Token);
            await gateway.DisconnectAsync(cancellationToken: Token);
        }

        await broker.RestartAsync(Token);
        using var cloud = await broker.ConnectAsync("cloud", "pw-cloud", Token);
        var inbox = await Inbox.SubscribeAsync(cloud, Topics.AllFilter, Token);

        var retained = await inbox.NextAsync(Token);
        Assert.Equal(Topics.GatewayStatus("site-a", "gw-a"), retained.Topic);
        Assert.True(retained.Retain);
        Assert.Equal(status, retained.Payload.ToArray());
    }

    [Fact]
    public Task LastWill_IsPublished_WhenAGatewayDrops() =>
        AssertOfflineWillAfterAsync(gateway =>
        {
            gateway.Dispose(); // the socket closes without DISCONNECT, as when the link or the process dies
            return Task.CompletedTask;
        });

    [Fact]
    public Task LastWill_IsPublished_WhenAGatewayStopsAskingForIt() =>
        AssertOfflineWillAfterAsync(gateway => gateway.DisconnectAsync(
            new MqttClientDisconnectOptionsBuilder().WithReason(MqttClientDisconnectOptionsReason.DisconnectWithWillMessage).Build(), Token));

    [Fact]
    public async Task SharedSubscription_IsNotSupportedByTheMqttnetServer()
    {
        // Why CloudApp subscribes without $share against the embedded broker; if MQTTnet learns it, this test says so.
        await using var broker = await RunningBroker.StartAsync(Token);
        using var cloud = await broker.ConnectAsync("cloud", "pw-cloud", Token);

        var result = await cloud.SubscribeAsync($"$share/facilities-cloud/{Topics.AllFilter}", MqttQualityOfServiceLevel.AtLeastOnce, Token);

        Assert.Equal(MqttClientSubscribeResultCode.SharedSubscriptionsNotSupported, Assert.Single(result.Items).ResultCode);
    }

    private static async Task AssertOfflineWillAfterAsync(Func<IMqttClient, Task> leave)
    {
        await using var broker = await RunningBroker.StartAsync(Token);
        using var cloud = await broker.ConnectAsync("cloud", "pw-cloud", Token);
        var inbox = await Inbox.SubscribeAsync(cloud, Topics.GatewayStatus("site-a", "gw-a"), Token);
        using var gateway = await broker.ConnectAsync("site-a/gw-a", "pw-a", Token, configure: WithOfflineWill);

        await leave(gateway);

        var will = await inbox.NextAsync(Token);
        Assert.Equal("offline", MessageJson.Deserialize<GatewayStatusMessage>(will.Payload.ToArray())!.State);
    }

    private static void WithOfflineWill(MqttClientOptionsBuilder builder) => builder
        .WithWillTopic(Topics.GatewayStatus("site-a", "gw-a"))
        .WithWillPayload(MessageJson.Serialize(new GatewayStatusMessage(Schema.Version, 0, DateTimeOffset.UtcNow, "gw-a", "offline", "1.0", 0, 0, 0, 0)))
        .WithWillRetain(true)
        .WithWillQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce);
}
