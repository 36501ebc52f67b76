using Facilities.Cloud.Tests.Alerts;
using Facilities.Cloud.Domain.WorkOrders;
using Facilities.Cloud.WorkOrders;
using Microsoft.Extensions.Logging.Abstractions;
using Facilities.Cloud.Sites;

namespace Facilities.Cloud.Tests.WorkOrders;

/// <summary>Preventive orders on their schedule, over real SQLite and PostgreSQL, with two instances and a hand-moved clock.</summary>
public sealed class PreventiveOrderTests(PostgresFixture postgres)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static PreventiveScheduler Scheduler(WorkOrderHarness h) => new(
        h.Alerts.Database, h.Options, h.Timeline, new SiteTime("Asia/Shanghai", new Dictionary<string, string>()), h.Alerts.Clock, NullLogger<PreventiveScheduler>.Instance);

    [Theory]
    [MemberData(nameof(Databases.Providers), MemberType = typeof(Databases))]
    public async Task Schedule_OpensTheNextElevatorVisit15DaysAfterTheLastDone_AndAedOrdersAheadOfExpiry_OnceAcrossTwoInstances(string provider)
    {
        var (database, _) = await Databases.CreateAsync(provider, postgres, Ct);
        var h = new WorkOrderHarness(database, new ManualClock(AlertHarness.Start)); // 2026-11-22 16:00 in Shanghai
        h.Options.Teams["safety"] = new() { ["*"] = "安全员 Safety officer" };
        var second = new WorkOrderHarness(database, h.Alerts.Clock);
        second.Options.Teams["safety"] = h.Options.Teams["safety"];
        await h.Alerts.SendAsync(
            Messages.Telemetry(1, AlertHarness.Start, "lift-1", "elevator", new Dictionary<string, double> { ["floor"] = 1 }),
            Messages.Telemetry(2, AlertHarness.Start, "lift-2", "elevator", new Dictionary<string, double> { ["floor"] = 1 }),
            Messages.Telemetry(3, AlertHarness.Start, "aed-1", "aed-cabinet", new Dictionary<string, double> { ["pads_expiry"] = 20270115, ["battery_expiry"] = 20261220 }));

        var opened = await Task.WhenAll(Scheduler(h).RunAsync(Ct), Scheduler(second).RunAsync(Ct), Scheduler(h).RunAsync(Ct));
        Assert.Equal(3, opened.Sum());
        Assert.Equal(0, await Scheduler(second).RunAsync(Ct));

        // No history yet: the first routine visit is due 15 days from now.
        var orders = await h.OrdersAsync();
        Assert.Equal(
            [("lift-1", "elevator-maintenance:after:20261122T080000"), ("lift-2", "elevator-maintenance:after:20261122T080000"), ("aed-1", "aed-battery:20261220")],
            orders.Select(o => (o.Device, o.ScheduleKey!)).OrderBy(o => o.Item1.StartsWith("aed", StringComparison.Ordinal)).ThenBy(o => o.Item1, StringComparer.Ordinal));
        var lift = orders.First(o => o.Device == "lift-1");
        Assert.Equal(("preventive", "assigned", WorkOrderHarness.Assignee, "P3"), (WorkOrderView.From(lift).Type, lift.Status, lift.Assignee, lift.Priority));
        Assert.Equal(AlertHarness.Start.AddDays(15).ToUnixTimeMilliseconds(), lift.ResolveBy);
        Assert.Null(lift.RespondBy);
        Assert.Equal(["opened", "assigned"], await h.TimelineAsync(lift.Id));
        var battery = orders.Single(o => o.Device == "aed-1");
        Assert.Equal((PreventiveSchedule.AedBattery, "安全员 Safety officer", new DateTimeOffset(2026, 12, 19, 16, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds()),
            (battery.RuleId, battery.Assignee, battery.ResolveBy));

        // lift-1's visit is done on 30 November: its next is due 15 days later; lift-2's is still open, nothing new for it.
        var doneAt = new DateTimeOffset(2026, 11, 30, 8, 30, 0, TimeSpan.Zero);
        await h.Alerts.ScalarAsync<long>("UPDATE work_orders SET status = 'resolved', resolved_at = @at WHERE id = @id RETURNING id", new { at = doneAt.ToUnixTimeMilliseconds(), id = lift.Id });
        h.Alerts.Clock.Set(doneAt.AddMinutes(1));
        Assert.Equal(1, (await Task.WhenAll(Scheduler(h).RunAsync(Ct), Scheduler(second).RunAsync(Ct))).Sum());
        var next = (await h.OrdersAsync()).Single(o => o.ScheduleKey == "elevator-maintenance:after:20261130T083000");
        Assert.Equal(("lift-1", doneAt.AddDays(15).ToUnixTimeMilliseconds()), (next.Device, next.ResolveBy));

        // 5 December: 41 days to the pads' expiry.
        h.Alerts.Clock.Set(new DateTimeOffset(2026, 12, 5, 0, 0, 0, TimeSpan.Zero));
        Assert.Equal(1, await Scheduler(second).RunAsync(Ct));
        Assert.Equal("aed-pads:20270115", (await h.OrdersAsync()).Last().ScheduleKey);
        Assert.Equal(5, (await h.OrdersAsync()).Count);
    }

    [Theory]
    [MemberData(nameof(Databases.Providers), MemberType = typeof(Databases))]
    public async Task PreventiveOrder_OpenForADevice_DoesNotStopAFaultOpeningItsOwnOrder(string provider)
    {
        var (database, _) = await Databases.CreateAsync(provider, postgres, Ct);
        var h = new WorkOrderHarness(database, new ManualClock(AlertHarness.Start));
        await h.Alerts.SendAsync(Messages.Telemetry(1, AlertHarness.Start, "lift-1", "elevator", new Dictionary<string, double> { ["floor"] = 1 }));
        Assert.Equal(1, await Scheduler(h).RunAsync(Ct));
        await h.Alerts.SendAsync(Messages.Event(2, AlertHarness.Start, "lift-1", "elevator", "fault_code", 1, "trapped-at-floor"));
        await h.Alerts.SendAsync(Messages.Event(3, AlertHarness.Start.AddSeconds(1), "lift-1", "elevator", "fault_code", 1, "trapped-at-floor"));

        var orders = await h.OrdersAsync();
        Assert.Equal(["preventive", "corrective"], orders.Select(o => WorkOrderView.From(o).Type));
    }

    [Theory]
    [MemberData(nameof(Databases.Providers), MemberType = typeof(Databases))]
    public async Task Schedule_FleetLargerThanAPage_OpensEveryOrderOnce_PageByPage(string provider)
    {
        var (database, _) = await Databases.CreateAsync(provider, postgres, Ct);
        var h = new WorkOrderHarness(database, new ManualClock(AlertHarness.Start));
        var lifts = Enumerable.Range(1, 5).Select(n => $"lift-{n}").ToList();
        var aeds = Enumerable.Range(1, 3).Select(n => $"aed-{n}").ToList();
        await h.Alerts.SendAsync(
        [
            .. lifts.Select((lift, i) => Messages.Telemetry(i + 1, AlertHarness.Start, lift, "elevator", new Dictionary<string, double> { ["floor"] = 1 })),
            .. aeds.Select((aed, i) => Messages.Telemetry(i + 10, AlertHarness.Start, aed, "aed-cabinet", new Dictionary<string, double> { ["pads_expiry"] = 20261225, ["battery_expiry"] = 20261220 })),
        ]);
        PreventiveScheduler Paged() => new(
            h.Alerts.Database, h.Options, h.Timeline, new SiteTime("Asia/Shanghai", new Dictionary<string, string>()), h.Alerts.Clock, NullLogger<PreventiveScheduler>.Instance, pageSize: 2);

        Assert.Equal(lifts.Count + 2 * aeds.Count, await Paged().RunAsync(Ct));
        Assert.Equal(0, await Paged().RunAsync(Ct));

        var orders = await h.OrdersAsync();
        Assert.Equal([.. lifts, .. aeds], orders.Select(o => o.Device).Distinct().Order(StringComparer.Ordinal).OrderBy(d => d.StartsWith("aed", StringComparison.Ordinal)));
        Assert.All(aeds, aed => Assert.Equal(2, orders.Count(o => o.Device == aed)));
    }
}
