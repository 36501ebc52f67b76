using Facilities.Cloud.Domain.WorkOrders;

namespace Facilities.Cloud.Domain.Tests.WorkOrders;

public sealed class PreventiveScheduleTests
{
    private static readonly TimeZoneInfo Shanghai = Zones.Shanghai;

    [Theory]
    [InlineData("2026-11-15T15:59:59Z", "2026-11-H1", "2026-10-31T16:00:00Z", "2026-11-15T16:00:00Z")]
    [InlineData("2026-11-15T16:00:00Z", "2026-11-H2", "2026-11-15T16:00:00Z", "2026-11-30T16:00:00Z")]
    [InlineData("2027-02-20T00:00:00Z", "2027-02-H2", "2027-02-15T16:00:00Z", "2027-02-28T16:00:00Z")]
    [InlineData("2026-12-31T17:00:00Z", "2027-01-H1", "2026-12-31T16:00:00Z", "2027-01-15T16:00:00Z")]
    public void HalfMonth_FollowsTheSitesLocalCalendar(string now, string key, string start, string end)
    {
        var period = PreventiveSchedule.HalfMonth(DateTimeOffset.Parse(now, System.Globalization.CultureInfo.InvariantCulture), Shanghai);
        Assert.Equal((key, DateTimeOffset.Parse(start, System.Globalization.CultureInfo.InvariantCulture), DateTimeOffset.Parse(end, System.Globalization.CultureInfo.InvariantCulture)),
            (period.Key, period.Start, period.End));
    }

    [Fact]
    public void ElevatorJob_IsDueByThePeriodsEnd_AndKeyedByThePeriod()
    {
        var job = PreventiveSchedule.ElevatorJob(new DateTimeOffset(2026, 11, 22, 8, 0, 0, TimeSpan.Zero), Shanghai, "elevator");
        Assert.Equal((PreventiveSchedule.ElevatorMaintenance, "elevator-maintenance:2026-11-H2", new DateTimeOffset(2026, 11, 30, 16, 0, 0, TimeSpan.Zero), "elevator"),
            (job.RuleId, job.ScheduleKey, job.DueBy, job.Team));
        Assert.Contains("2026-11-16 – 2026-11-30", job.Title, StringComparison.Ordinal);
    }

    [Fact]
    public void AedJob_AppearsOnlyWithinDaysAhead_DueByTheExpiryDay()
    {
        var now = new DateTimeOffset(2026, 11, 22, 8, 0, 0, TimeSpan.Zero);
        Assert.Null(PreventiveSchedule.AedJob("pads_expiry", new DateOnly(2027, 1, 15), now, Shanghai, 42, "safety"));
        var job = PreventiveSchedule.AedJob("pads_expiry", new DateOnly(2026, 12, 20), now, Shanghai, 42, "safety");
        Assert.NotNull(job);
        Assert.Equal((PreventiveSchedule.AedPads, "aed-pads:20261220", new DateTimeOffset(2026, 12, 19, 16, 0, 0, TimeSpan.Zero)), (job.RuleId, job.ScheduleKey, job.DueBy));
        Assert.Equal("aed-battery:20261101", PreventiveSchedule.AedJob("battery_expiry", new DateOnly(2026, 11, 1), now, Shanghai, 42, "safety")?.ScheduleKey);
        Assert.Null(PreventiveSchedule.AedJob("temperature", new DateOnly(2026, 11, 1), now, Shanghai, 42, "safety"));
    }

    [Theory]
    [InlineData("2028-02-20T00:00:00Z", "2028-02-H2", "2028-02-15T16:00:00Z", "2028-02-29T16:00:00Z")] // leap year: the 29th belongs to H2
    [InlineData("2027-01-31T15:59:59Z", "2027-01-H2", "2027-01-15T16:00:00Z", "2027-01-31T16:00:00Z")] // the 31st, last second
    [InlineData("2027-01-31T16:00:00Z", "2027-02-H1", "2027-01-31T16:00:00Z", "2027-02-15T16:00:00Z")] // 1 February local
    [InlineData("2026-04-30T12:00:00Z", "2026-04-H2", "2026-04-15T16:00:00Z", "2026-04-30T16:00:00Z")] // a 30-day month
    public void HalfMonth_AtMonthEnds_EndsAtTheNextMonthsLocalMidnight(string now, string key, string start, string end)
    {
        var period = PreventiveSchedule.HalfMonth(At(now), Shanghai);
        Assert.Equal((key, At(start), At(end)), (period.Key, period.Start, period.End));
    }

    [Fact]
    public void HalfMonth_SpanningADaylightSavingChange_StartsAndEndsAtLocalMidnightOfEachOffset()
    {
        // 16–31 March 2027 in a zone that moves from UTC+1 to UTC+2 on the 28th.
        var period = PreventiveSchedule.HalfMonth(At("2027-03-29T12:00:00Z"), Zones.CentralEurope);
        Assert.Equal(("2027-03-H2", At("2027-03-15T23:00:00Z"), At("2027-03-31T22:00:00Z")), (period.Key, period.Start, period.End));
    }

    [Fact]
    public void ElevatorJob_InALeapFebruary_RunsToThe29th()
    {
        var job = PreventiveSchedule.ElevatorJob(At("2028-02-25T00:00:00Z"), Shanghai, "elevator");
        Assert.Equal(("elevator-maintenance:2028-02-H2", At("2028-02-29T16:00:00Z")), (job.ScheduleKey, job.DueBy));
        Assert.Contains("2028-02-16 – 2028-02-29", job.Title, StringComparison.Ordinal);
    }

    [Fact]
    public void AedJob_ExactlyDaysAheadAway_IsDue_OneSecondEarlierIsNot()
    {
        var dueBy = At("2026-12-19T16:00:00Z"); // start of 20 December in UTC+8
        Assert.NotNull(PreventiveSchedule.AedJob("pads_expiry", new DateOnly(2026, 12, 20), dueBy - TimeSpan.FromDays(42), Shanghai, 42, "safety"));
        Assert.Null(PreventiveSchedule.AedJob("pads_expiry", new DateOnly(2026, 12, 20), dueBy - TimeSpan.FromDays(42) - TimeSpan.FromSeconds(1), Shanghai, 42, "safety"));
    }

    [Fact]
    public void AedJob_ExpiryPassed_IsStillDue() =>
        Assert.NotNull(PreventiveSchedule.AedJob("battery_expiry", new DateOnly(2026, 10, 1), At("2026-11-22T08:00:00Z"), Shanghai, 42, "safety"));

    private static DateTimeOffset At(string instant) => DateTimeOffset.Parse(instant, System.Globalization.CultureInfo.InvariantCulture);
}
