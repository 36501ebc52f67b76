using Facilities.Cloud.Notifications;
using Facilities.Cloud.Domain.Notifications;

namespace Facilities.Cloud.Tests.Notifications;

public sealed class NotificationRouterTests
{
    private static NotificationRouter Router(params NotificationRouteOptions[] routes)
    {
        var options = new NotificationOptions { Routes = [.. routes] };
        foreach (var contact in routes.SelectMany(r => r.Escalation).Distinct())
        {
            options.Contacts[contact] = new NotificationContactOptions { Channels = ["hook"] };
        }

        return new NotificationRouter(options);
    }

    [Fact]
    public void Match_SiteRouteBeforeCatchAll_TakesFirstThatCovers()
    {
        var router = Router(
            new NotificationRouteOptions { Name = "hq", Sites = ["hq"], MinSeverity = "warning", Escalation = ["hq-team"] },
            new NotificationRouteOptions { Name = "all", MinSeverity = "critical", Escalation = ["duty"] });

        Assert.Equal(["hq"], router.Match("hq", AlertSeverity.Critical).Select(r => r.Name));
        Assert.Equal(["all"], router.Match("north", AlertSeverity.Critical).Select(r => r.Name));
    }

    [Fact]
    public void Match_RouteForSomeRules_TakesOnlyThoseAndLeavesTheRestToTheNext()
    {
        var router = Router(
            new NotificationRouteOptions { Name = "entrapment", Rules = ["elevator.trapped-*", "elevator.passenger-alarm"], Escalation = ["duty", "manager"] },
            new NotificationRouteOptions { Name = "all", Escalation = ["duty"] });

        Assert.Equal(["entrapment"], router.Match("hq", AlertSeverity.Critical, "elevator.trapped-derived").Select(r => r.Name));
        Assert.Equal(["entrapment"], router.Match("hq", AlertSeverity.Critical, "elevator.passenger-alarm").Select(r => r.Name));
        Assert.Equal(["all"], router.Match("hq", AlertSeverity.Critical, "elevator.door-lock-open").Select(r => r.Name));
        Assert.Equal(["all"], router.Match("hq", AlertSeverity.Critical).Select(r => r.Name));
    }

    [Fact]
    public void Match_BelowMinimumSeverity_SkipsRoute()
    {
        var router = Router(
            new NotificationRouteOptions { Name = "hq", Sites = ["hq"], MinSeverity = "warning", Escalation = ["hq-team"] },
            new NotificationRouteOptions { Name = "all", Sites = ["*"], MinSeverity = "critical", Escalation = ["duty"] });

        Assert.Empty(router.Match("hq", AlertSeverity.Info));
        Assert.Empty(router.Match("north", AlertSeverity.Warning));
    }

    [Fact]
    public void Match_Continue_AlsoTakesLaterRoutes()
    {
        var router = Router(
            new NotificationRouteOptions { Name = "hq", Sites = ["hq"], Escalation = ["hq-team"], Continue = true },
            new NotificationRouteOptions { Name = "managers", MinSeverity = "critical", Escalation = ["manager"] },
            new NotificationRouteOptions { Name = "never", Escalation = ["duty"] });

        Assert.Equal(["hq", "managers"], router.Match("hq", AlertSeverity.Critical).Select(r => r.Name));
        Assert.Equal(["hq", "never"], router.Match("hq", AlertSeverity.Warning).Select(r => r.Name));
    }

    [Fact]
    public void Ladder_ThreeContacts_EscalatesThenRepeatsAtLast()
    {
        var route = Router(new NotificationRouteOptions
        {
            Escalation = ["a", "b", "c"], EscalateAfter = TimeSpan.FromMinutes(10), RepeatEvery = TimeSpan.FromMinutes(30),
        }).Routes[0];

        Assert.Equal(TimeSpan.FromMinutes(10), route.Ladder.WaitAfter(0));
        Assert.Equal(new EscalationStep(1, 0, NotificationEvents.Escalated), route.Ladder.Next(0, 0));
        Assert.Equal(new EscalationStep(2, 0, NotificationEvents.Escalated), route.Ladder.Next(1, 0));
        Assert.Equal(TimeSpan.FromMinutes(30), route.Ladder.WaitAfter(2));
        Assert.Equal(new EscalationStep(2, 1, NotificationEvents.Repeated), route.Ladder.Next(2, 0));
        Assert.Equal(new EscalationStep(2, 2, NotificationEvents.Repeated), route.Ladder.Next(2, 1));
    }

    [Fact]
    public void Ladder_NoRepeat_EndsAtLastContact()
    {
        var route = Router(new NotificationRouteOptions { Escalation = ["a", "b"], RepeatEvery = TimeSpan.Zero }).Routes[0];

        Assert.Equal(new EscalationStep(1, 0, NotificationEvents.Escalated), route.Ladder.Next(0, 0));
        Assert.Null(route.Ladder.Next(1, 0));
        Assert.Null(route.Ladder.WaitAfter(1));
    }

    [Fact]
    public void Escalates_BelowEscalationSeverity_DoesNot()
    {
        var route = Router(new NotificationRouteOptions { Escalation = ["a", "b"] }).Routes[0];

        Assert.True(route.Escalates(AlertSeverity.Critical));
        Assert.False(route.Escalates(AlertSeverity.Warning));
    }

    [Theory]
    [InlineData(1, 30)]
    [InlineData(2, 60)]
    [InlineData(3, 120)]
    [InlineData(6, 600)]
    [InlineData(40, 600)]
    public void RetryDelay_DoublesUpToMaximum(long attempt, int seconds)
    {
        var options = new NotificationOptions { RetryBaseDelay = TimeSpan.FromSeconds(30), RetryMaxDelay = TimeSpan.FromMinutes(10) };

        Assert.Equal(TimeSpan.FromSeconds(seconds), NotificationDispatcher.Policy(options).RetryDelay(attempt));
    }
}
