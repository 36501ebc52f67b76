using Facilities.Cloud.Domain.Elevators;
using Facilities.Cloud.Domain.WorkOrders;

namespace Facilities.Cloud.Domain.Tests.WorkOrders;

/// <summary>TSG T5002 routine maintenance: due from the last visit done, quarterly to annual on the local calendar, on-demand intervals.</summary>
public sealed class ElevatorMaintenanceScheduleTests
{
    private static readonly TimeZoneInfo Shanghai = Zones.Shanghai;
    private static readonly TimeSpan Fifteen = TimeSpan.FromDays(15);

    private static DateTimeOffset Local(int year, int month, int day, int hour = 10) => new(year, month, day, hour, 0, 0, TimeSpan.FromHours(8));

    [Fact]
    public void NextVisit_HalfMonthly_Is15DaysAfterTheLastDoneNotTheCalendarHalf()
    {
        // Done on the 1st: the calendar halves would allow the next on the 30th; TSG T5002 wants it by the 16th.
        Assert.Equal(Local(2026, 11, 16), ElevatorMaintenance.NextVisit(MaintenanceLevel.HalfMonthly, Local(2026, 11, 1), Shanghai, Fifteen));
    }

    [Fact]
    public void NextVisit_LateCompletion_MovesTheNextVisit()
    {
        // Due on the 16th, done late on the 20th: the next is due 15 days after the 20th.
        Assert.Equal(Local(2026, 12, 5), ElevatorMaintenance.NextVisit(MaintenanceLevel.HalfMonthly, Local(2026, 11, 20), Shanghai, Fifteen));
    }

    [Theory]
    [InlineData(MaintenanceLevel.Quarterly, 2026, 11, 30, 2027, 2, 28)]
    [InlineData(MaintenanceLevel.Quarterly, 2027, 11, 30, 2028, 2, 29)]
    [InlineData(MaintenanceLevel.HalfYearly, 2026, 8, 31, 2027, 2, 28)]
    [InlineData(MaintenanceLevel.Annual, 2028, 2, 29, 2029, 2, 28)]
    [InlineData(MaintenanceLevel.Quarterly, 2027, 1, 31, 2027, 4, 30)]
    public void NextVisit_LongerLevels_CountCalendarMonthsClampedAtMonthEnds(MaintenanceLevel level, int y, int m, int d, int dueY, int dueM, int dueD) =>
        Assert.Equal(Local(dueY, dueM, dueD), ElevatorMaintenance.NextVisit(level, Local(y, m, d), Shanghai, Fifteen));

    [Fact]
    public void NextVisit_HalfMonthlyAcrossAMonthEnd_Is15ElapsedDays() =>
        Assert.Equal(Local(2027, 3, 15), ElevatorMaintenance.NextVisit(MaintenanceLevel.HalfMonthly, Local(2027, 2, 28), Shanghai, Fifteen));

    [Fact]
    public void NextVisit_OnDemandWithoutCriticalFault_UsesTheLongerInterval() =>
        Assert.Equal(Local(2026, 12, 1), ElevatorMaintenance.NextVisit(MaintenanceLevel.HalfMonthly, Local(2026, 11, 1), Shanghai, Fifteen, TimeSpan.FromDays(30)));

    [Fact]
    public void NextVisit_OnDemandAfterACriticalFault_FallsBackTo15Days() =>
        Assert.Equal(Local(2026, 11, 16), ElevatorMaintenance.NextVisit(
            MaintenanceLevel.HalfMonthly, Local(2026, 11, 1), Shanghai, Fifteen, TimeSpan.FromDays(30), lastCriticalFault: Local(2026, 11, 5)));

    [Fact]
    public void NextVisit_OnDemandCriticalFaultPastThe15Days_IsDueAtTheFault() =>
        Assert.Equal(Local(2026, 11, 22), ElevatorMaintenance.NextVisit(
            MaintenanceLevel.HalfMonthly, Local(2026, 11, 1), Shanghai, Fifteen, TimeSpan.FromDays(30), lastCriticalFault: Local(2026, 11, 22)));

    [Fact]
    public void NextVisit_OnDemandFaultBeforeTheLastVisit_KeepsTheLongerInterval() =>
        Assert.Equal(Local(2026, 12, 1), ElevatorMaintenance.NextVisit(
            MaintenanceLevel.HalfMonthly, Local(2026, 11, 1), Shanghai, Fifteen, TimeSpan.FromDays(30), lastCriticalFault: Local(2026, 10, 20)));

    [Fact]
    public void ElevatorJobs_NoHistory_OpensTheFirstHalfMonthlyVisitDueIn15Days()
    {
        var now = Local(2026, 11, 22);
        var job = Assert.Single(PreventiveSchedule.ElevatorJobs(new Dictionary<MaintenanceLevel, DateTimeOffset>(), null, now, Shanghai, "elevator"));
        Assert.Equal((PreventiveSchedule.ElevatorMaintenance, now + Fifteen), (job.RuleId, job.DueBy));
    }

    [Fact]
    public void ElevatorJobs_SameHistoryAskedTwice_GivesTheSameKeys()
    {
        var done = new Dictionary<MaintenanceLevel, DateTimeOffset> { [MaintenanceLevel.HalfMonthly] = Local(2026, 11, 10) };
        var first = PreventiveSchedule.ElevatorJobs(done, Local(2026, 6, 1), Local(2026, 11, 12), Shanghai, "elevator");
        var later = PreventiveSchedule.ElevatorJobs(done, Local(2026, 6, 1), Local(2026, 11, 14), Shanghai, "elevator");
        Assert.Equal(first.Select(j => j.ScheduleKey), later.Select(j => j.ScheduleKey));
    }

    [Fact]
    public void ElevatorJobs_QuarterlyDone_CountsAsTheHalfMonthlyVisitToo()
    {
        var done = new Dictionary<MaintenanceLevel, DateTimeOffset>
        {
            [MaintenanceLevel.HalfMonthly] = Local(2026, 11, 1),
            [MaintenanceLevel.Quarterly] = Local(2026, 11, 10),
        };
        var jobs = PreventiveSchedule.ElevatorJobs(done, Local(2026, 6, 1), Local(2026, 11, 12), Shanghai, "elevator");
        var routine = jobs.Single(j => j.RuleId == PreventiveSchedule.ElevatorMaintenance);
        Assert.Equal(Local(2026, 11, 25), routine.DueBy);
        Assert.DoesNotContain(jobs, j => j.RuleId == PreventiveSchedule.ElevatorQuarterly); // next quarterly: February
    }

    [Fact]
    public void ElevatorJobs_QuarterlyHalfYearlyAnnual_OpenWithin15DaysOfTheirDueDate()
    {
        // First preventive order on 1 June 2026, half-monthly visits kept up: the quarterly is due 1 September.
        var done = new Dictionary<MaintenanceLevel, DateTimeOffset> { [MaintenanceLevel.HalfMonthly] = Local(2026, 8, 20) };
        Assert.DoesNotContain(PreventiveSchedule.ElevatorJobs(done, Local(2026, 6, 1), Local(2026, 8, 16, 9), Shanghai, "elevator"),
            j => j.RuleId == PreventiveSchedule.ElevatorQuarterly);
        var quarterly = Assert.Single(PreventiveSchedule.ElevatorJobs(done, Local(2026, 6, 1), Local(2026, 8, 17), Shanghai, "elevator"),
            j => j.RuleId == PreventiveSchedule.ElevatorQuarterly);
        Assert.Equal(Local(2026, 9, 1), quarterly.DueBy);
        var yearLater = PreventiveSchedule.ElevatorJobs(done, Local(2026, 6, 1), Local(2027, 5, 20), Shanghai, "elevator").Select(j => j.RuleId).ToList();
        Assert.Contains(PreventiveSchedule.ElevatorHalfYearly, yearLater);
        Assert.Contains(PreventiveSchedule.ElevatorAnnual, yearLater);
    }

    [Fact]
    public void DoneByLevel_SeveralOrdersOfALevel_KeepsTheLastResolved()
    {
        var levels = PreventiveSchedule.DoneByLevel(
            [(PreventiveSchedule.ElevatorMaintenance, Local(2026, 11, 1)), (PreventiveSchedule.ElevatorMaintenance, Local(2026, 11, 16)), (PreventiveSchedule.ElevatorQuarterly, Local(2026, 9, 1))]);

        Assert.Equal(
            new Dictionary<MaintenanceLevel, DateTimeOffset> { [MaintenanceLevel.HalfMonthly] = Local(2026, 11, 16), [MaintenanceLevel.Quarterly] = Local(2026, 9, 1) },
            levels);
    }

    [Fact]
    public void DoneByLevel_OrderOfAnotherRule_IsPassedOver()
    {
        Assert.Empty(PreventiveSchedule.DoneByLevel([(PreventiveSchedule.AedPads, Local(2026, 11, 1))]));
    }
}
