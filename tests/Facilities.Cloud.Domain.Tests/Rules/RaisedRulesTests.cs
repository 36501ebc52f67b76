using Facilities.Cloud.Domain.Rules;

namespace Facilities.Cloud.Domain.Tests.Rules;

/// <summary>The alerts the cloud raises itself take their title and severity from the rule set, like any other.</summary>
public sealed class RaisedRulesTests
{
    private static RuleDefinition GatewayOffline(string title = "网关离线 Gateway offline") =>
        new() { Id = RaisedRules.GatewayOffline, Kind = "gateway", Type = RuleType.Raised, Severity = "critical", Title = title };

    [Fact]
    public void Resolve_RuleInTheSet_ItsTitleAndSeverity()
    {
        var rules = new RuleSet([GatewayOffline("网关掉线 Gateway down")]);

        var rule = RaisedRules.Resolve(rules, "estate-a", RaisedRules.GatewayOffline);

        Assert.Equal(("网关掉线 Gateway down", "critical"), (rule!.Title, rule.Severity));
    }

    [Fact]
    public void Resolve_SiteSwitchedItOff_NoAlertAtThatSiteOnly()
    {
        var off = new RuleDefinition { Id = RaisedRules.GatewayOffline, Enabled = false };
        var rules = new RuleSet([GatewayOffline()], new Dictionary<string, IReadOnlyList<RuleDefinition>> { ["quiet-site"] = [off] });

        Assert.Null(RaisedRules.Resolve(rules, "quiet-site", RaisedRules.GatewayOffline));
        Assert.NotNull(RaisedRules.Resolve(rules, "estate-a", RaisedRules.GatewayOffline));
    }

    [Fact]
    public void Resolve_OldRuleFileWithoutIt_StillRaisedTitledByItsId()
    {
        var rule = RaisedRules.Resolve(new RuleSet([]), "estate-a", RaisedRules.WorkOrderBreach);

        Assert.Equal((RaisedRules.WorkOrderBreach, "critical"), (rule!.Title, rule.Severity));
    }

    [Fact]
    public void Check_RaisedTypeOnAnUnknownId_IsRefusedNamingTheRule()
    {
        var problems = RuleChecks.Problems([new RuleDefinition { Id = "boiler.mine", Kind = "boiler", Type = RuleType.Raised, Severity = "warning", Title = "x" }], overrides: false);

        Assert.Contains(problems, p => p.Contains("boiler.mine", StringComparison.Ordinal) && p.Contains("raised", StringComparison.Ordinal));
    }
}
