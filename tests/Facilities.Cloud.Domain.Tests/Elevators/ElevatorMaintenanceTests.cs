using Facilities.Cloud.Domain.Elevators;

namespace Facilities.Cloud.Domain.Tests.Elevators;

public sealed class ElevatorMaintenanceTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Interval = TimeSpan.FromDays(15);

    [Fact]
    public void Due_ConfiguredDateNewerThanTheLastOrder_Counts()
    {
        var due = ElevatorMaintenance.Due(Now.AddDays(-20), Now.AddDays(-5), Interval, Now);
        Assert.Equal(new MaintenanceDue(Now.AddDays(-5), ElevatorMaintenance.FromConfiguration, Now.AddDays(10), Overdue: false), due);
    }

    [Fact]
    public void Due_OrderAndConfiguredOnTheSameMoment_CountsTheWorkOrder()
    {
        var due = ElevatorMaintenance.Due(Now.AddDays(-5), Now.AddDays(-5), Interval, Now);
        Assert.Equal(ElevatorMaintenance.FromWorkOrder, due.LastSource);
    }

    [Fact]
    public void Due_NoRecordAtAll_HasNothingDueAndIsNotOverdue()
    {
        Assert.Equal(new MaintenanceDue(null, null, null, Overdue: false), ElevatorMaintenance.Due(null, null, Interval, Now));
    }

    [Fact]
    public void Due_OnlyAConfiguredDate_Counts()
    {
        var due = ElevatorMaintenance.Due(null, Now.AddDays(-30), Interval, Now);
        Assert.Equal(new MaintenanceDue(Now.AddDays(-30), ElevatorMaintenance.FromConfiguration, Now.AddDays(-15), Overdue: true), due);
    }

    [Fact]
    public void Due_ExactlyNow_IsNotYetOverdue()
    {
        Assert.False(ElevatorMaintenance.Due(Now - Interval, null, Interval, Now).Overdue);
        Assert.True(ElevatorMaintenance.Due(Now - Interval - TimeSpan.FromMilliseconds(1), null, Interval, Now).Overdue);
    }
}
