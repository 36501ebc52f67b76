using Facilities.Cloud.Domain.WorkOrders;

namespace Facilities.Cloud.Domain.Tests.WorkOrders;

public sealed class EntrapmentRescueTests
{
    private static readonly DateTimeOffset At = new(2026, 11, 22, 8, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("arrive", "assigned")]
    [InlineData("arrive", "in_progress")]
    [InlineData("release", "open")]
    public void Plan_RescueStepOnAnActiveOrder_LeadsToInProgress(string action, string from) =>
        Assert.Equal(WorkOrderLifecycle.InProgress, WorkOrderLifecycle.Plan(action, from)?.To);

    [Theory]
    [InlineData("arrive", "resolved")]
    [InlineData("release", "closed")]
    public void Plan_RescueStepOnAFinishedOrder_IsNotAllowed(string action, string from) => Assert.Null(WorkOrderLifecycle.Plan(action, from));

    [Fact]
    public void Refusal_OrderIsNoRescue_SaysSo() =>
        Assert.Contains("no rescue order", EntrapmentRescue.Refusal("arrive", rescue: false, null, null), StringComparison.Ordinal);

    [Fact]
    public void Refusal_ArrivalAlreadyRecorded_RefusesASecondButAllowsTheRelease()
    {
        Assert.NotNull(EntrapmentRescue.Refusal("arrive", rescue: true, At, null));
        Assert.Null(EntrapmentRescue.Refusal("release", rescue: true, At, null));
    }

    [Fact]
    public void Refusal_ReleaseBeforeTheCrewArrives_IsAllowed() => Assert.Null(EntrapmentRescue.Refusal("release", rescue: true, null, null));

    [Fact]
    public void ArriveWithin_CityWithoutSettings_TakesTheRulesThirtyMinutes() =>
        Assert.Equal(TimeSpan.FromMinutes(30), EntrapmentRescue.ArriveWithin(null, outsideCity: false, TimeSpan.FromMinutes(30)));

    [Fact]
    public void ArriveWithin_OutsideACity_IsAnHour() =>
        Assert.Equal(TimeSpan.FromHours(1), EntrapmentRescue.ArriveWithin(null, outsideCity: true, TimeSpan.FromMinutes(30)));

    [Fact]
    public void ArriveWithin_SiteOwnFigure_WinsOverEverything() =>
        Assert.Equal(TimeSpan.FromMinutes(15), EntrapmentRescue.ArriveWithin(TimeSpan.FromMinutes(15), outsideCity: true, TimeSpan.FromMinutes(30)));

    [Fact]
    public void StartResponds_OnlyOnOrdersThatAreNoRescue()
    {
        Assert.True(EntrapmentRescue.StartResponds(rescue: false));
        Assert.False(EntrapmentRescue.StartResponds(rescue: true));
    }
}
