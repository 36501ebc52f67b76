using Facilities.Cloud.Broker;

namespace Facilities.Cloud.Tests.Broker;

public sealed class BrokerAccessPolicyTests
{
    private static readonly BrokerAccessPolicy Policy = new([RunningBroker.GatewayA, RunningBroker.GatewayB, RunningBroker.Cloud], allowAnonymous: false);

    [Theory]
    [InlineData("facilities/v1/site-a/gw-a/status")]
    [InlineData("facilities/v1/site-a/gw-a/devices/lift-1/telemetry")]
    [InlineData("facilities/v1/site-a/gw-a/devices/lift-1/events")]
    [InlineData("facilities/v1/site-a/gw-a/devices/lift-1/state")]
    [InlineData("facilities/v1/site-a/gw-a/command-results")]
    public void Gateway_OwnTopic_MayPublish(string topic) => Assert.Null(Policy.CheckPublish("site-a/gw-a", topic));

    [Theory]
    [InlineData("facilities/v1/site-b/gw-a/status")]
    [InlineData("facilities/v1/site-a/gw-b/devices/lift-1/telemetry")]
    [InlineData("facilities/v1/site-a/gw-a/commands")]
    [InlineData("facilities/v1/site-a/gw-a/devices/lift-1/other")]
    [InlineData("facilities/v1/site-a/gw-a/devices/Lift-1/telemetry")]
    [InlineData("facilities/v1/site-a/gw-a")]
    [InlineData("elsewhere/entirely")]
    public void Gateway_AnyOtherTopic_IsRefusedWithTheReason(string topic) =>
        Assert.StartsWith($"unauthorised: user 'site-a/gw-a' may not publish to {topic} (gateway site-a/gw-a", Policy.CheckPublish("site-a/gw-a", topic), StringComparison.Ordinal);

    [Theory]
    [InlineData("facilities/v1/site-a/gw-a/commands", true)]
    [InlineData("facilities/v1/site-b/gw-b/commands", false)]
    [InlineData("facilities/v1/site-a/+/commands", false)]
    [InlineData("facilities/v1/site-a/gw-a/#", false)]
    [InlineData("#", false)]
    public void Gateway_MaySubscribeToItsOwnCommandsOnly(string filter, bool allowed) => Assert.Equal(allowed, Policy.CheckSubscribe("site-a/gw-a", filter) is null);

    [Theory]
    [InlineData("facilities/v1/+/+/#", true)]
    [InlineData("facilities/v1/#", true)]
    [InlineData("$share/facilities-cloud/facilities/v1/+/+/devices/+/telemetry", true)]
    [InlineData("$share//facilities/v1/#", false)]
    [InlineData("$share/a+/facilities/v1/#", false)]
    [InlineData("#", false)]
    [InlineData("$SYS/#", false)]
    [InlineData("facilities/v2/#", false)]
    public void Cloud_MaySubscribeBelowTheRoot_SharedOrNot(string filter, bool allowed) => Assert.Equal(allowed, Policy.CheckSubscribe("cloud", filter) is null);

    [Theory]
    [InlineData("facilities/v1/site-a/gw-a/commands", true)]
    [InlineData("facilities/v1/site-a/gw-a/status", false)]
    [InlineData("facilities/v1/site-a/gw-a/devices/lift-1/telemetry", false)]
    public void Cloud_MayPublishCommandsOnly(string topic, bool allowed) => Assert.Equal(allowed, Policy.CheckPublish("cloud", topic) is null);

    [Theory]
    [InlineData("site-a/gw-a", "pw-a", null)]
    [InlineData("site-b/gw-b", "pw-b", null)]
    [InlineData("site-a/gw-a", "pw-b", "wrong password for user 'site-a/gw-a'")]
    [InlineData("site-b/gw-b", "", "wrong password for user 'site-b/gw-b'")]
    [InlineData("nobody", "pw-a", "unknown user 'nobody'")]
    [InlineData(null, null, "no username (anonymous clients are not allowed)")]
    public void Connect_ChecksUserAndPassword(string? username, string? password, string? refusal) => Assert.Equal(refusal, Policy.CheckConnect(username, password));

    [Fact]
    public void Anonymous_WhenAllowed_HasNoRestrictions()
    {
        var open = new BrokerAccessPolicy([RunningBroker.Cloud], allowAnonymous: true);

        Assert.Null(open.CheckConnect(null, null));
        Assert.Null(open.CheckPublish(null, "facilities/v1/site-a/gw-a/commands"));
        Assert.Null(open.CheckSubscribe(null, "#"));
        Assert.Equal("wrong password for user 'cloud'", open.CheckConnect("cloud", "guess"));
    }
}
