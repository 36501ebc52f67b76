using Facilities.Cloud.WorkOrders;
using Facilities.Cloud.Sites;

namespace Facilities.Cloud.Tests.WorkOrders;

public sealed class PreventiveScheduleTests
{
    private static readonly TimeZoneInfo Shanghai = SiteTime.TryFindZone("Asia/Shanghai", out var zone) ? zone : throw new InvalidOperationException("no Asia/Shanghai");

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
}
