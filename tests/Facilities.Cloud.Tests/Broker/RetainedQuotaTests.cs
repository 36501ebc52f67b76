using Facilities.Cloud.Broker;

namespace Facilities.Cloud.Tests.Broker;

/// <summary>Retained-message bookkeeping per client id and per user (pure).</summary>
public sealed class RetainedQuotaTests
{
    private static readonly BrokerLimits Limits = new()
    {
        RetainedMessagesPerClient = 2, RetainedBytesPerClient = 1000, RetainedMessagesPerUser = 3, RetainedBytesPerUser = 1000,
    };

    [Fact]
    public void TryHold_BeyondTheClientsCount_IsRefused()
    {
        var quota = new RetainedQuota(Limits);
        quota.TryHold("u", "c", "t/1", 10);
        quota.TryHold("u", "c", "t/2", 10);

        Assert.StartsWith("retained limit: client 'c'", quota.TryHold("u", "c", "t/3", 10), StringComparison.Ordinal);
    }

    [Fact]
    public void TryHold_BeyondTheUsersCountOverSeveralClients_IsRefused()
    {
        var quota = new RetainedQuota(Limits);
        quota.TryHold("u", "c1", "t/1", 10);
        quota.TryHold("u", "c1", "t/2", 10);
        quota.TryHold("u", "c2", "t/3", 10);

        Assert.StartsWith("retained limit: user 'u'", quota.TryHold("u", "c2", "t/4", 10), StringComparison.Ordinal);
    }

    [Fact]
    public void TryHold_AnEmptyPayload_RemovesTheMessageAndFreesItsPlace()
    {
        var quota = new RetainedQuota(Limits);
        quota.TryHold("u", "c", "t/1", 10);
        quota.TryHold("u", "c", "t/2", 10);

        Assert.Null(quota.TryHold("u", "c", "t/1", 0));
        Assert.Null(quota.TryHold("u", "c", "t/3", 10));
    }

    [Fact]
    public void TryHold_AnotherClientsTopic_MovesTheMessageToTheNewHolder()
    {
        var quota = new RetainedQuota(Limits);
        quota.TryHold("u", "c1", "t/1", 10);
        quota.TryHold("u", "c1", "t/2", 10);

        Assert.Null(quota.TryHold("u", "c2", "t/1", 10));
        Assert.Null(quota.TryHold("u", "c1", "t/3", 10));
    }
}
