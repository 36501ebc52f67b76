using Facilities.Cloud.Domain.WorkOrders;

namespace Facilities.Cloud.Domain.Tests.WorkOrders;

public sealed class WorkOrderLifecycleTests
{
    [Theory]
    [InlineData("assign", "open", "assigned")]
    [InlineData("assign", "assigned", "assigned")]
    [InlineData("start", "assigned", "in_progress")]
    [InlineData("resolve", "in_progress", "resolved")]
    [InlineData("close", "resolved", "closed")]
    [InlineData("note", "closed", "closed")]
    public void Plan_AllowedChange_LeadsToTheNextStatus(string action, string from, string to) =>
        Assert.Equal(to, WorkOrderLifecycle.Plan(action, from)?.To);

    [Theory]
    [InlineData("close", "open")]
    [InlineData("close", "in_progress")]
    [InlineData("start", "in_progress")]
    [InlineData("resolve", "closed")]
    [InlineData("assign", "resolved")]
    public void Plan_ChangeNotAllowed_IsNull(string action, string from) => Assert.Null(WorkOrderLifecycle.Plan(action, from));

    [Fact]
    public void Plan_FromEveryStatus_NeverLeadsBackToOpen() =>
        Assert.DoesNotContain(
            WorkOrderLifecycle.Statuses.Where(s => s != WorkOrderLifecycle.Open)
                .SelectMany(status => WorkOrderLifecycle.Actions.Select(action => WorkOrderLifecycle.Plan(action, status)?.To)),
            to => to == WorkOrderLifecycle.Open);

    [Theory]
    [InlineData("critical", "P1")]
    [InlineData("warning", "P2")]
    [InlineData("info", "P3")]
    public void Priority_FollowsTheAlertsSeverity(string severity, string priority) => Assert.Equal(priority, WorkOrderLifecycle.Priority(severity));

    [Theory]
    [InlineData("preventive.elevator-maintenance", "preventive")]
    [InlineData("elevator.trapped-passenger", "corrective")]
    [InlineData("workorder.sla-breach", "corrective")]
    public void TypeOf_PreventiveRulesOnly_ArePreventive(string ruleId, string type) => Assert.Equal(type, WorkOrderLifecycle.TypeOf(ruleId));

    [Fact]
    public void Assignee_MostSpecificAreaWins()
    {
        var teams = new Dictionary<string, Dictionary<string, string>> { ["elevator"] = new() { ["*"] = "dispatch", ["estate"] = "site crew", ["estate/b02"] = "b02 crew" } };
        Assert.Equal(("b02 crew", "site crew", "dispatch", null), (
            WorkOrderRouting.AssigneeFor(teams, "elevator", "estate", "b02"), WorkOrderRouting.AssigneeFor(teams, "elevator", "estate", "b01"),
            WorkOrderRouting.AssigneeFor(teams, "elevator", "other", "b01"), WorkOrderRouting.AssigneeFor(teams, "heating", "estate", "b01")));
    }
}
