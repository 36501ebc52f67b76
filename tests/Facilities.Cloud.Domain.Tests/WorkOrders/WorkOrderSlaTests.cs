using Facilities.Cloud.Domain.WorkOrders;

namespace Facilities.Cloud.Domain.Tests.WorkOrders;

public sealed class WorkOrderSlaTests
{
    private static readonly DateTimeOffset Opened = new(2026, 11, 22, 8, 0, 0, TimeSpan.Zero);

    private static WorkOrderClock Order(TimeSpan? respondWithin = null, TimeSpan? resolveWithin = null) => new(
        WorkOrderSla.Deadline(Opened, respondWithin ?? TimeSpan.FromMinutes(30)), WorkOrderSla.Deadline(Opened, resolveWithin ?? TimeSpan.FromHours(4)),
        RespondedAt: null, ResolvedAt: null, ClosedAt: null, RespondBreachedAt: null, ResolveBreachedAt: null);

    [Fact]
    public void Deadline_WithoutAPolicy_IsNull() => Assert.Null(WorkOrderSla.Deadline(Opened, null));

    [Fact]
    public void Deadline_AcrossMidnightInTheSitesZone_FallsOnTheNextLocalDay()
    {
        var lateEvening = new DateTimeOffset(2026, 11, 22, 22, 30, 0, TimeSpan.FromHours(8)); // 14:30 UTC

        var deadline = WorkOrderSla.Deadline(lateEvening, TimeSpan.FromHours(4))!.Value;

        Assert.Equal(new DateTimeOffset(2026, 11, 22, 18, 30, 0, TimeSpan.Zero), deadline);
        Assert.Equal(new DateTime(2026, 11, 23, 2, 30, 0), TimeZoneInfo.ConvertTime(deadline, Zones.Shanghai).DateTime);
    }

    [Fact]
    public void Deadline_AcrossADaylightSavingChange_CountsElapsedHours_NotTheWallClock()
    {
        // 00:30 local (UTC+1) on the night clocks go forward at 02:00: four hours later the wall clock shows 05:30 (UTC+2).
        var beforeChange = new DateTimeOffset(2027, 3, 28, 0, 30, 0, TimeSpan.FromHours(1));

        var deadline = WorkOrderSla.Deadline(beforeChange, TimeSpan.FromHours(4))!.Value;

        Assert.Equal(TimeSpan.FromHours(4), deadline - beforeChange);
        Assert.Equal(new DateTimeOffset(2027, 3, 28, 5, 30, 0, TimeSpan.FromHours(2)), TimeZoneInfo.ConvertTime(deadline, Zones.CentralEurope));
    }

    [Fact]
    public void DueBreaches_BeforeEitherDeadline_AreNone() =>
        Assert.Empty(WorkOrderSla.DueBreaches(Order(), Opened.AddMinutes(30).AddTicks(-1)));

    [Fact]
    public void DueBreaches_TheMomentTheResponseDeadlineIsReached_IsTheResponseBreach() =>
        Assert.Equal([new SlaBreach(WorkOrderSla.Respond, Opened.AddMinutes(30))], WorkOrderSla.DueBreaches(Order(), Opened.AddMinutes(30)));

    [Fact]
    public void DueBreaches_BothPassed_RespondComesBeforeResolve() =>
        Assert.Equal(
            [new SlaBreach(WorkOrderSla.Respond, Opened.AddMinutes(30)), new SlaBreach(WorkOrderSla.Resolve, Opened.AddHours(4))],
            WorkOrderSla.DueBreaches(Order(), Opened.AddHours(5)));

    [Fact]
    public void DueBreaches_SomeoneResponded_OnlyTheResolutionDeadlineCounts() =>
        Assert.Equal(
            [new SlaBreach(WorkOrderSla.Resolve, Opened.AddHours(4))],
            WorkOrderSla.DueBreaches(Order() with { RespondedAt = Opened.AddHours(1) }, Opened.AddHours(5)));

    [Fact]
    public void DueBreaches_AlreadyRecorded_AreNotDueAgain() =>
        Assert.Empty(WorkOrderSla.DueBreaches(
            Order() with { RespondBreachedAt = Opened.AddMinutes(31), ResolveBreachedAt = Opened.AddHours(4) }, Opened.AddDays(2)));

    [Fact]
    public void DueBreaches_ResolvedOrClosedOrder_HasNone()
    {
        Assert.Empty(WorkOrderSla.DueBreaches(Order() with { ResolvedAt = Opened.AddMinutes(10) }, Opened.AddDays(1)));
        Assert.Empty(WorkOrderSla.DueBreaches(Order() with { ClosedAt = Opened.AddMinutes(10) }, Opened.AddDays(1)));
    }

    [Fact]
    public void DueBreaches_NoDeadlines_HasNone() =>
        Assert.Empty(WorkOrderSla.DueBreaches(new WorkOrderClock(null, null, null, null, null, null, null), Opened.AddYears(1)));

    [Fact]
    public void BreachDetail_NamesTheOrderTheDeadlineAndItsUtcTime()
    {
        var detail = WorkOrderSla.BreachDetail(7, new SlaBreach(WorkOrderSla.Respond, new DateTimeOffset(2026, 11, 22, 16, 30, 0, TimeSpan.FromHours(8))), "电梯困人 trapped");
        Assert.Equal("work order 7: respond deadline 2026-11-22 08:30:00 UTC passed (电梯困人 trapped)", detail);
    }

    [Fact]
    public void Recorded_ListsTheBreachedDeadlinesInOrder()
    {
        Assert.Equal(["respond", "resolve"], WorkOrderSla.Recorded(respondBreached: true, resolveBreached: true));
        Assert.Equal(["resolve"], WorkOrderSla.Recorded(respondBreached: false, resolveBreached: true));
        Assert.Empty(WorkOrderSla.Recorded(respondBreached: false, resolveBreached: false));
    }
}
