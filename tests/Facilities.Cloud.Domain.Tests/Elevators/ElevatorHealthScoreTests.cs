using Facilities.Cloud.Domain.Elevators;

namespace Facilities.Cloud.Domain.Tests.Elevators;

public sealed class ElevatorHealthScoreTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);

    private static ElevatorHealthInput Healthy() => new("online", 0, 0, "none", [], Now.AddDays(3), []);

    [Fact]
    public void Evaluate_HealthyElevator_Scores100WithoutReasons()
    {
        var result = ElevatorHealthScore.Evaluate(Healthy(), Now);
        Assert.Equal(100, result.Score);
        Assert.Empty(result.Reasons);
    }

    [Fact]
    public void Evaluate_ActiveFaultHistoryAndOpenOrder_ListsEachReasonWithItsPoints_LargestFirst()
    {
        var input = Healthy() with
        {
            FaultCode = 1,
            FaultLabel = "trapped-at-floor",
            Faults = [new("elevator.trapped-at-floor", "critical", Now.AddHours(-1)), new("elevator.door-fails-to-close", "warning", Now.AddDays(-9))],
            OpenOrders = [new(7, "corrective", Breached: true), new(8, "preventive", Breached: false)],
        };

        var result = ElevatorHealthScore.Evaluate(input, Now);

        Assert.Equal(
            [("fault-active", 30), ("faults-30d", 12), ("deadline-breached", 10), ("open-work-orders", 5)],
            result.Reasons.Select(r => (r.Code, r.Points)));
        Assert.Equal(100 - 30 - 12 - 10 - 5, result.Score);
        Assert.Contains("trapped-at-floor", result.Reasons[0].Text, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_FaultInInspectionMode_IsExpected_AndDoesNotCountAsActive()
    {
        var result = ElevatorHealthScore.Evaluate(Healthy() with { ServiceMode = 1, FaultCode = 9 }, Now);
        Assert.Equal(100, result.Score);
    }

    [Fact]
    public void Evaluate_ManyFaults_AreCapped()
    {
        var faults = Enumerable.Range(0, 20).Select(i => new FaultRecord("elevator.overspeed", "critical", Now.AddDays(-i))).ToList();
        var reason = Assert.Single(ElevatorHealthScore.Evaluate(Healthy() with { Faults = faults }, Now).Reasons);
        Assert.Equal(("faults-30d", ElevatorHealthScore.FaultCap), (reason.Code, reason.Points));
    }

    [Fact]
    public void Evaluate_OfflineOutOfServiceAndMaintenanceLongOverdue_NeverGoesBelowZero()
    {
        var input = new ElevatorHealthInput("offline", 5, 8, "safety-circuit-open",
            [.. Enumerable.Range(0, 10).Select(i => new FaultRecord("elevator.overspeed", "critical", Now.AddDays(-i)))],
            Now.AddDays(-40), [new(1, "corrective", true), new(2, "corrective", true), new(3, "corrective", false), new(4, "corrective", false)]);

        var result = ElevatorHealthScore.Evaluate(input, Now);

        Assert.Equal(0, result.Score);
        Assert.Contains(result.Reasons, r => r is { Code: "maintenance-overdue", Points: 25 });
        Assert.Contains(result.Reasons, r => r is { Code: "open-work-orders", Points: ElevatorHealthScore.OrdersCap });
        Assert.Contains(result.Reasons, r => r.Code == "no-data");
    }

    [Fact]
    public void Evaluate_MaintenanceUnknownOrJustOverdue_DeductsAccordingly()
    {
        Assert.Equal(("maintenance-unknown", 10), Single(Healthy() with { NextMaintenance = null }));
        Assert.Equal(("maintenance-overdue", 17), Single(Healthy() with { NextMaintenance = Now.AddDays(-2.5) }));

        static (string, int) Single(ElevatorHealthInput input)
        {
            var reason = Assert.Single(ElevatorHealthScore.Evaluate(input, Now).Reasons);
            return (reason.Code, reason.Points);
        }
    }

    [Fact]
    public void MeanTimeBetweenFaults_IsTheWindowOverTheFaultCount()
    {
        Assert.Equal(TimeSpan.FromDays(10), ElevatorHealthScore.MeanTimeBetweenFaults(3, TimeSpan.FromDays(30)));
        Assert.Null(ElevatorHealthScore.MeanTimeBetweenFaults(0, TimeSpan.FromDays(30)));
    }
}
