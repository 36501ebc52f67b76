using Facilities.Cloud.Alerts;
using Facilities.Cloud.Ingestion;
using Facilities.Cloud.Storage;
using Facilities.Cloud.Tests.Alerts;
using Facilities.Cloud.WorkOrders;

namespace Facilities.Cloud.Tests.WorkOrders;

/// <summary>Work orders opened from alerts, over real SQLite and PostgreSQL: the same checks on both.</summary>
public sealed class WorkOrderOpeningTests(PostgresFixture postgres)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static RawMessage Trapped(long seq, DateTimeOffset at) => Messages.Event(seq, at, "lift-1", "elevator", "fault_code", 1, "trapped-at-floor");

    private static RawMessage Cleared(long seq, DateTimeOffset at) => Messages.Event(seq, at, "lift-1", "elevator", "fault_code", 0, "none");

    private async Task<WorkOrderHarness> HarnessAsync(string provider)
    {
        var (database, _) = await Databases.CreateAsync(provider, postgres, Ct);
        return new WorkOrderHarness(database, new ManualClock(AlertHarness.Start));
    }

    [Theory]
    [MemberData(nameof(Databases.Providers), MemberType = typeof(Databases))]
    public async Task TrappedPassenger_OpensOneOrder_WithThirtyMinuteResponseAndTheSitesAssignee(string provider)
    {
        var h = await HarnessAsync(provider);
        await h.Alerts.SendAsync(Trapped(1, AlertHarness.Start));

        var order = Assert.Single(await h.OrdersAsync());
        Assert.Equal(("elevator.trapped-at-floor", "lift-1", "P1", "assigned", "elevator", WorkOrderHarness.Assignee),
            (order.RuleId, order.Device, order.Priority, order.Status, order.Team, order.Assignee));
        Assert.Equal(AlertHarness.Start.AddMinutes(30).ToUnixTimeMilliseconds(), order.RespondBy);
        Assert.Equal(AlertHarness.Start.AddHours(4).ToUnixTimeMilliseconds(), order.ResolveBy);
        Assert.Equal(["opened", "assigned"], await h.TimelineAsync(order.Id));
    }

    [Theory]
    [MemberData(nameof(Databases.Providers), MemberType = typeof(Databases))]
    public async Task FaultRecurring_AfterItCleared_IsAppendedToTheOpenOrder(string provider)
    {
        var h = await HarnessAsync(provider);
        await h.Alerts.SendAsync(Trapped(1, AlertHarness.Start));
        h.Alerts.Clock.Advance(TimeSpan.FromMinutes(3));
        await h.Alerts.SendAsync(Cleared(2, h.Alerts.Clock.GetUtcNow()));
        h.Alerts.Clock.Advance(TimeSpan.FromMinutes(3));
        await h.Alerts.SendAsync(Trapped(3, h.Alerts.Clock.GetUtcNow()));

        Assert.Equal(2, (await h.Alerts.AlertsAsync("elevator.trapped-at-floor")).Count);
        var order = Assert.Single(await h.OrdersAsync());
        Assert.Equal("assigned", order.Status); // the fault clearing does not close it: a person does
        Assert.Equal(["opened", "assigned", "fault-cleared", "recurred"], await h.TimelineAsync(order.Id));
    }

    [Theory]
    [MemberData(nameof(Databases.Providers), MemberType = typeof(Databases))]
    public async Task ThousandConcurrentDuplicates_OnTwoInstances_OpenOneOrder(string provider)
    {
        var first = await HarnessAsync(provider);
        var second = new WorkOrderHarness(first.Alerts.Database, first.Alerts.Clock);
        var fault = Trapped(41, AlertHarness.Start);
        await Task.WhenAll(Enumerable.Range(0, 1000).Select(i => Task.Run(() => (i % 2 == 0 ? first : second).Alerts.SendAsync(fault), Ct)));
        var order = Assert.Single(await first.OrdersAsync());

        // The opener itself racing: 200 firing notices at once, on both instances, in separate transactions.
        var alert = Assert.Single(await first.Alerts.AlertsAsync());
        var notice = new AlertNotice(alert.Id, Messages.Site, "b01", "lift-1", "elevator", alert.RuleId, "critical", "firing", alert.Title, "again", 1, AlertHarness.Start);
        await Task.WhenAll(Enumerable.Range(0, 200).Select(i => Task.Run(() => EnqueueAsync(i % 2 == 0 ? first : second, notice), Ct)));
        Assert.Equal(order.Id, Assert.Single(await first.OrdersAsync()).Id);
        Assert.Equal(200, (await first.TimelineAsync(order.Id)).Count(a => a == "recurred"));
    }

    [Theory]
    [MemberData(nameof(Databases.Providers), MemberType = typeof(Databases))]
    public async Task SlaMonitor_AfterRespondByPasses_RecordsTheBreachOnce_AndRaisesAnAlert(string provider)
    {
        var h = await HarnessAsync(provider);
        await h.Alerts.SendAsync(Trapped(1, AlertHarness.Start));
        h.Alerts.Clock.Advance(TimeSpan.FromMinutes(29));
        Assert.Equal(0, await h.Sla.CheckAsync(Ct));

        h.Alerts.Clock.Advance(TimeSpan.FromMinutes(2));
        var second = new WorkOrderHarness(h.Alerts.Database, h.Alerts.Clock);
        var recorded = await Task.WhenAll(h.Sla.CheckAsync(Ct), second.Sla.CheckAsync(Ct));
        Assert.Equal(1, recorded.Sum());
        Assert.Equal(0, await h.Sla.CheckAsync(Ct));

        var order = Assert.Single(await h.OrdersAsync());
        Assert.NotNull(order.RespondBreachedAt);
        Assert.Null(order.ResolveBreachedAt);
        Assert.Equal(["opened", "assigned", "sla-breached"], await h.TimelineAsync(order.Id));
        var breach = Assert.Single(await h.Alerts.AlertsAsync(SlaMonitor.BreachRule));
        Assert.Equal(("firing", "lift-1", "gw-1"), (breach.State, breach.Device, breach.Gateway));
    }

    [Theory]
    [MemberData(nameof(Databases.Providers), MemberType = typeof(Databases))]
    public async Task SlaMonitor_OrderStartedInTime_HasNoResponseBreach(string provider)
    {
        var h = await HarnessAsync(provider);
        await h.Alerts.SendAsync(Trapped(1, AlertHarness.Start));
        await h.Alerts.ScalarAsync<long>("UPDATE work_orders SET status = 'in_progress', responded_at = @at RETURNING id",
            new { at = AlertHarness.Start.AddMinutes(10).ToUnixTimeMilliseconds() });
        h.Alerts.Clock.Advance(TimeSpan.FromHours(1));
        Assert.Equal(0, await h.Sla.CheckAsync(Ct));
        Assert.Empty(await h.Alerts.AlertsAsync(SlaMonitor.BreachRule));
    }

    private static async Task EnqueueAsync(WorkOrderHarness h, AlertNotice notice)
    {
        await using var connection = await h.Alerts.Database.OpenAsync(Ct);
        await using var write = await CloudDatabase.BeginWriteAsync(connection, Ct);
        var transaction = write.Transaction;
        await h.Opener.OnTransitionAsync(notice, connection, transaction, Ct);
        await write.CommitAsync(Ct);
    }
}
