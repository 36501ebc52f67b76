using Facilities.Cloud.Domain.Notifications;

namespace Facilities.Cloud.Domain.Tests.Notifications;

public sealed class EscalationLadderTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 8, 0, 0, TimeSpan.Zero);

    /// <summary>Duty, supervisor, manager: 10 minutes between them, then a reminder every 30 minutes.</summary>
    private static readonly EscalationLadder ThreeContacts = new(3, TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(30));

    [Fact]
    public void Next_BeforeTheLastContact_EscalatesToTheNextOne()
    {
        Assert.Equal(new EscalationStep(1, 0, EscalationLadder.Escalated), ThreeContacts.Next(0, 0));
    }

    [Fact]
    public void Next_AtTheLastContact_RemindsItAgain()
    {
        Assert.Equal(new EscalationStep(2, 3, EscalationLadder.Repeated), ThreeContacts.Next(2, 2));
    }

    [Fact]
    public void Next_AtTheLastContactWithoutReminders_EndsTheLadder()
    {
        Assert.Null((ThreeContacts with { RepeatEvery = TimeSpan.Zero }).Next(2, 0));
    }

    [Theory]
    [InlineData(0, 10)]
    [InlineData(1, 10)]
    [InlineData(2, 30)]
    public void WaitAfter_IsEscalateAfterUntilTheLastContact_ThenRepeatEvery(int level, int minutes)
    {
        Assert.Equal(TimeSpan.FromMinutes(minutes), ThreeContacts.WaitAfter(level));
    }

    [Fact]
    public void Decide_FiringAndUnacknowledged_TakesTheNextStepAndComesBackAfterItsWait()
    {
        var decision = EscalationLadder.Decide(ThreeContacts, "firing", acknowledged: false, 0, 0, Now);

        Assert.Equal(new EscalationDecision(new EscalationStep(1, 0, EscalationLadder.Escalated), Now.AddMinutes(10), null), decision);
    }

    [Fact]
    public void Decide_LastStepWithoutReminders_TakesItAndMarksTheLadderEnded()
    {
        var decision = EscalationLadder.Decide(ThreeContacts with { RepeatEvery = TimeSpan.Zero }, "firing", acknowledged: false, 1, 0, Now);

        Assert.Equal(new EscalationDecision(new EscalationStep(2, 0, EscalationLadder.Escalated), null, EscalationLadder.LadderEnded), decision);
    }

    [Theory]
    [InlineData("acknowledged", false, "alert acknowledged")]
    [InlineData("resolved", false, "alert resolved")]
    [InlineData("firing", true, "alert firing")]
    public void Decide_AlertNoLongerFiringOrAcknowledged_StopsTheLadder(string state, bool acknowledged, string reason)
    {
        Assert.Equal(EscalationDecision.Stop(reason), EscalationLadder.Decide(ThreeContacts, state, acknowledged, 0, 0, Now));
    }

    [Fact]
    public void Decide_RouteNoLongerConfigured_StopsTheLadder()
    {
        Assert.Equal(EscalationDecision.Stop("route no longer configured"), EscalationLadder.Decide(null, "firing", acknowledged: false, 0, 0, Now));
    }

    [Fact]
    public void Decide_NoStepLeft_StopsTheLadderAsEnded()
    {
        var single = new EscalationLadder(1, TimeSpan.FromMinutes(10), TimeSpan.Zero);

        Assert.Equal(EscalationDecision.Stop(EscalationLadder.LadderEnded), EscalationLadder.Decide(single, "firing", acknowledged: false, 0, 0, Now));
    }
}
