using Facilities.Cloud.WorkOrders;

namespace Facilities.Cloud.Tests.WorkOrders;

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
    public void Assignee_MostSpecificAreaWins()
    {
        var options = new WorkOrderOptions { Teams = new() { ["elevator"] = new() { ["*"] = "dispatch", ["estate"] = "site crew", ["estate/b02"] = "b02 crew" } } };
        Assert.Equal(("b02 crew", "site crew", "dispatch", null), (
            options.AssigneeFor("elevator", "estate", "b02"), options.AssigneeFor("elevator", "estate", "b01"),
            options.AssigneeFor("elevator", "other", "b01"), options.AssigneeFor("heating", "estate", "b01")));
    }
}
