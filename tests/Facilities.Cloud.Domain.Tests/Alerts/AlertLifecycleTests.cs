using Facilities.Cloud.Domain.Alerts;
using Facilities.Cloud.Domain.Rules;

namespace Facilities.Cloud.Domain.Tests.Alerts;

public sealed class AlertLifecycleTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 22, 8, 0, 0, TimeSpan.Zero);
    private static readonly FlapPolicy Flap = new(3, TimeSpan.FromMinutes(30), TimeSpan.FromMinutes(15));
    private static readonly AlertLifecycle Lifecycle = new(Flap);
    private static readonly AlertRule Immediate = new("elevator.trapped", "critical", "Trapped", TimeSpan.Zero);
    private static readonly AlertRule Held = new("boiler.supply-low", "warning", "Supply low", TimeSpan.FromMinutes(10));

    private static ConditionObserved Holds(string detail = "fault", string? suppressed = null, string? maintenance = null) =>
        new(new Verdict(true, 1, detail, suppressed), maintenance);

    private static ConditionObserved Clear => new(new Verdict(false, 0, "clear"));

    private static Alert Firing(bool flapping = false, DateTimeOffset? clearSince = null, string? suppressed = null) =>
        new(7, AlertState.Firing, Start, Start, clearSince, flapping, Detail: "fault", Value: 1, Suppressed: suppressed);

    [Fact]
    public void Holds_NoAlertAndNoFor_OpensFiringAndAnnouncesIt()
    {
        var next = Lifecycle.Next(Holds(), Immediate, null, Start);

        Assert.Equal(AlertChange.Opened, next.Change);
        Assert.Equal((AlertState.Firing, (DateTimeOffset?)Start), (next.Next!.State, next.Next.FiredAt));
        var fired = Assert.Single(next.Events);
        Assert.Equal(("fired", "system", AlertState.Firing), (fired.ActionName, fired.Actor, fired.Notice?.State));
    }

    [Fact]
    public void Holds_NoAlertWithFor_OpensPendingThatAnnouncesNothing()
    {
        var next = Lifecycle.Next(Holds(), Held, null, Start);

        Assert.Equal(AlertState.Pending, next.Next!.State);
        var pending = Assert.Single(next.Events);
        Assert.Equal("pending", pending.ActionName);
        Assert.Null(pending.Notice);
    }

    [Fact]
    public void Holds_PendingBeforeItsForRanOut_ChangesNothing()
    {
        var pending = new Alert(3, AlertState.Pending, Start);

        var next = Lifecycle.Next(Holds(), Held, pending, Start + TimeSpan.FromMinutes(9));

        Assert.Equal(AlertChange.None, next.Change);
        Assert.Empty(next.Events);
    }

    [Fact]
    public void Holds_PendingOnceItsForRanOut_FiresWithTheLatestDetail()
    {
        var pending = new Alert(3, AlertState.Pending, Start);

        var next = Lifecycle.Next(Holds("supply 51 °C"), Held, pending, Start + TimeSpan.FromMinutes(10));

        Assert.Equal(AlertChange.Fired, next.Change);
        Assert.Equal((AlertState.Firing, "supply 51 °C"), (next.Next!.State, next.Next.Detail));
        Assert.Equal(AlertState.Firing, Assert.Single(next.Events).Notice?.State);
    }

    [Fact]
    public void Clears_Pending_DiscardsItWithoutATrace()
    {
        var next = Lifecycle.Next(Clear, Held, new Alert(3, AlertState.Pending, Start), Start + TimeSpan.FromMinutes(1));

        Assert.Equal(AlertChange.Discarded, next.Change);
        Assert.Null(next.Next);
        Assert.Empty(next.Events);
    }

    [Fact]
    public void Clears_FiringThatFiredRarely_ResolvesBySystemAndAnnouncesIt()
    {
        var next = Lifecycle.Next(Clear, Immediate, Firing(), Start + TimeSpan.FromMinutes(1), recentFirings: 1);

        Assert.Equal((AlertState.Resolved, "system"), (next.Next!.State, next.Next.ResolvedBy));
        Assert.Equal(AlertState.Resolved, Assert.Single(next.Events).Notice?.State);
    }

    [Fact]
    public void Clears_FiringThatFiredFlapCountTimes_HoldsItOpenAsFlapping()
    {
        var now = Start + TimeSpan.FromMinutes(1);

        var next = Lifecycle.Next(Clear, Immediate, Firing(), now, recentFirings: 3);

        Assert.Equal(AlertChange.StartedFlapping, next.Change);
        Assert.Equal((true, (DateTimeOffset?)now, AlertState.Firing), (next.Next!.Flapping, next.Next.ClearSince, next.Next.State));
        var flapping = Assert.Single(next.Events);
        Assert.Equal(("flapping", "fired 3 times within 30 min: held open until clear for 15 min"), (flapping.ActionName, flapping.Detail));
        Assert.Null(flapping.Notice);
    }

    [Fact]
    public void Clears_FlappingBeforeItsHoldEnds_StaysOpen()
    {
        var next = Lifecycle.Next(Clear, Immediate, Firing(flapping: true, clearSince: Start), Start + TimeSpan.FromMinutes(14));

        Assert.Equal(AlertChange.None, next.Change);
    }

    [Fact]
    public void Clears_FlappingAfterItsHold_Resolves()
    {
        var next = Lifecycle.Next(Clear, Immediate, Firing(flapping: true, clearSince: Start), Start + TimeSpan.FromMinutes(15));

        Assert.Equal(AlertState.Resolved, next.Next!.State);
    }

    [Fact]
    public void Holds_FlappingWhileHeldOpen_RecursWithoutAPage()
    {
        var next = Lifecycle.Next(Holds("again"), Immediate, Firing(flapping: true, clearSince: Start), Start + TimeSpan.FromMinutes(2));

        Assert.Equal(AlertChange.Recurred, next.Change);
        Assert.Equal((2, (DateTimeOffset?)null, "again"), (next.Next!.Occurrences, next.Next.ClearSince, next.Next.Detail));
        var recurred = Assert.Single(next.Events);
        Assert.Equal("recurred", recurred.ActionName);
        Assert.Null(recurred.Notice);
    }

    [Fact]
    public void Holds_InAMaintenanceWindow_IsRecordedSuppressedAndAnnouncesNothing()
    {
        var next = Lifecycle.Next(Holds(maintenance: "maintenance window (until 2026-11-22 10:00 UTC)"), Immediate, null, Start);

        Assert.Equal("maintenance window (until 2026-11-22 10:00 UTC)", next.Next!.Suppressed);
        Assert.Null(Assert.Single(next.Events).Notice);
    }

    [Fact]
    public void Holds_RuleSuppressionAndMaintenance_TheRuleReasonWins()
    {
        var next = Lifecycle.Next(Holds(suppressed: "inspection mode", maintenance: "maintenance window"), Immediate, null, Start);

        Assert.Equal("inspection mode", next.Next!.Suppressed);
    }

    [Fact]
    public void Clears_SuppressedAlert_ResolvesSilently()
    {
        var next = Lifecycle.Next(Clear, Immediate, Firing(suppressed: "inspection mode"), Start + TimeSpan.FromMinutes(1));

        Assert.Equal(AlertState.Resolved, next.Next!.State);
        Assert.Null(Assert.Single(next.Events).Notice);
    }

    [Fact]
    public void Unknown_Verdict_ChangesNothing()
    {
        var next = Lifecycle.Next(new ConditionObserved(Verdict.Unknown), Immediate, Firing(), Start);

        Assert.Equal(AlertChange.None, next.Change);
    }

    [Fact]
    public void Acknowledge_Firing_RecordsThePersonAndAnnouncesTheirNote()
    {
        var next = Lifecycle.Next(new AcknowledgedByPerson("li.si", "on my way"), Immediate, Firing(), Start + TimeSpan.FromMinutes(3));

        Assert.Equal((AlertState.Acknowledged, "li.si"), (next.Next!.State, next.Next.AcknowledgedBy));
        var acknowledged = Assert.Single(next.Events);
        Assert.Equal(("acknowledged", "li.si", "on my way"), (acknowledged.ActionName, acknowledged.Actor, acknowledged.Detail));
        Assert.Equal(new AlertAnnouncement(AlertState.Acknowledged, "on my way", 1, "li.si"), acknowledged.Notice);
    }

    [Theory]
    [InlineData(AlertState.Pending, "is pending; it cannot be acknowledged")]
    [InlineData(AlertState.Acknowledged, "is acknowledged; it cannot be acknowledged")]
    [InlineData(AlertState.Resolved, "is resolved; it cannot be acknowledged")]
    public void Acknowledge_NotFiring_IsRefusedNamingTheState(AlertState state, string refusal)
    {
        var next = Lifecycle.Next(new AcknowledgedByPerson("li.si", null), Immediate, Firing() with { State = state }, Start);

        Assert.Equal((AlertChange.Refused, refusal), (next.Change, next.Refusal));
        Assert.Empty(next.Events);
    }

    [Theory]
    [InlineData(AlertState.Pending)]
    [InlineData(AlertState.Firing)]
    [InlineData(AlertState.Acknowledged)]
    public void ResolveByPerson_OpenAlert_ResolvesWithThePersonAsActor(AlertState state)
    {
        var next = Lifecycle.Next(new ResolvedByPerson("li.si", null), Immediate, Firing() with { State = state }, Start);

        Assert.Equal((AlertState.Resolved, "li.si"), (next.Next!.State, next.Next.ResolvedBy));
        Assert.Equal(new AlertAnnouncement(AlertState.Resolved, "fault", 1, "li.si"), Assert.Single(next.Events).Notice);
    }

    [Fact]
    public void ResolveByPerson_Resolved_IsRefused()
    {
        var next = Lifecycle.Next(new ResolvedByPerson("li.si", null), Immediate, Firing() with { State = AlertState.Resolved }, Start);

        Assert.Equal((AlertChange.Refused, "is resolved; it cannot be resolved"), (next.Change, next.Refusal));
    }

    [Fact]
    public void Holds_AfterAPersonResolvedItWhileTheConditionStillHeld_OpensANewPendingAlert()
    {
        var resolved = Lifecycle.Next(new ResolvedByPerson("li.si", null), Held, Firing(), Start).Next;

        var next = Lifecycle.Next(Holds(), Held, resolved, Start + TimeSpan.FromMinutes(1));

        Assert.Equal((AlertChange.Opened, AlertState.Pending, 0L), (next.Change, next.Next!.State, next.Next.Id));
    }

    [Fact]
    public void Raised_NoOpenAlert_FiresAtOnce()
    {
        var next = Lifecycle.Next(new ConditionRaised("work order 4: respond deadline passed"), new AlertRule("workorder.sla-breach", "critical", "late", TimeSpan.Zero), null, Start);

        Assert.Equal((AlertChange.Opened, AlertState.Firing), (next.Change, next.Next!.State));
        Assert.Equal(AlertState.Firing, Assert.Single(next.Events).Notice?.State);
    }

    [Fact]
    public void Raised_WhileOpen_NotesARecurrenceOnTheTrailOnly()
    {
        var next = Lifecycle.Next(new ConditionRaised("again"), Immediate, Firing(), Start);

        Assert.Equal((AlertChange.Noted, Firing()), (next.Change, next.Next));
        var recurred = Assert.Single(next.Events);
        Assert.Equal(("recurred", "again"), (recurred.ActionName, recurred.Detail));
        Assert.Null(recurred.Notice);
    }

    [Fact]
    public void NeedsRecentFirings_OnlyForAnOpenAlertNotFlappingThatClears()
    {
        Assert.True(AlertLifecycle.NeedsRecentFirings(Clear, Firing()));
        Assert.False(AlertLifecycle.NeedsRecentFirings(Clear, Firing(flapping: true)));
        Assert.False(AlertLifecycle.NeedsRecentFirings(Holds(), Firing()));
        Assert.False(AlertLifecycle.NeedsRecentFirings(Clear, new Alert(1, AlertState.Pending, Start)));
        Assert.False(AlertLifecycle.NeedsRecentFirings(Clear, null));
    }

    [Fact]
    public void AlertStates_Names_AreTheStoredOnes()
    {
        Assert.Equal(["pending", "firing", "acknowledged", "resolved"], Enum.GetValues<AlertState>().Select(s => s.Name()));
        Assert.All(Enum.GetValues<AlertState>(), s => Assert.Equal(s, AlertStates.Parse(s.Name())));
        Assert.Null(AlertStates.Parse("open"));
    }
}
