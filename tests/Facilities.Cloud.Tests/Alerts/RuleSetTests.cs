using System.Text.Json;
using Facilities.Cloud.Domain.Rules;
using Facilities.Cloud.Rules;
using Facilities.Cloud.Configuration;

namespace Facilities.Cloud.Tests.Alerts;

public sealed class RuleSetTests
{
    private static readonly string DefaultFile = Path.Combine(AppContext.BaseDirectory, "rulesets", "default-rules.json");

    [Fact]
    public void DefaultRules_Load_AndCoverEveryElevatorFaultOfTheProfile()
    {
        var rules = RuleFiles.LoadFile(DefaultFile);
        var profile = Path.Combine(FindRoot(), "gateway", "Facilities.Gateway", "profiles", "facilities-sim-elevator.json");
        using var document = JsonDocument.Parse(File.ReadAllText(profile));
        var faultLabels = document.RootElement.GetProperty("points").EnumerateArray()
            .First(p => p.GetProperty("name").GetString() == "fault_code")
            .GetProperty("enum").EnumerateObject().Select(e => e.Value.GetString()!).Where(l => l != "none").ToList();
        Assert.Equal(16, faultLabels.Count);
        // The alarm button has its own status bit and rule: fault_code shows only the most serious active fault.
        Assert.Contains(rules, r => r.Id == "elevator.passenger-alarm" && r.Point == "alarm_button" && r.Severity == "critical");
        foreach (var label in faultLabels.Where(l => l != "passenger-alarm"))
        {
            Assert.Contains(rules, r => r.Kind == "elevator" && r.Point == "fault_code" && r.Labels!.Contains(label)
                && r.SuppressWhen!.Any(c => c.Labels!.Contains("inspection")));
        }

        Assert.All(new[] { "elevator", "boiler", "charger-shed", "aed-cabinet" }, kind =>
            Assert.Contains(rules, r => r.Kind == kind && r.Severity == "critical"));
        Assert.Contains(rules, r => r.Type == RuleType.Offline && r.Kind == "*");
        Assert.Contains(rules, r => r.Type == RuleType.Expiry && r.Point == "pads_expiry");
        Assert.Equal(30, rules.Single(r => r.Id == "elevator.trapped-at-floor").WorkOrder!.RespondWithin!.Value.TotalMinutes);
    }

    [Fact]
    public void DocsTable_ListsEveryDefaultRule()
    {
        var doc = File.ReadAllText(Path.Combine(FindRoot(), "docs", "cloud.md"));
        Assert.All(RuleFiles.LoadFile(DefaultFile), rule => Assert.Contains($"| `{rule.Id}` | {rule.Kind} | {rule.Severity} |", doc, StringComparison.Ordinal));
    }

    [Fact]
    public void AlertingRulesDoc_ExplainsEveryDefaultRule()
    {
        // Each rule needs its own section ("### `id`") or row ("| `id` |"), not a passing mention.
        var lines = File.ReadAllLines(Path.Combine(FindRoot(), "docs", "alerting-rules.md"));
        Assert.All(RuleFiles.LoadFile(DefaultFile), rule => Assert.Contains(lines, line =>
            line.StartsWith($"### `{rule.Id}`", StringComparison.Ordinal) || line.StartsWith($"| `{rule.Id}` |", StringComparison.Ordinal)));
    }

    [Fact]
    public void AlertingRulesDoc_OverrideExample_LoadsAndReplacesTheDefaults()
    {
        // The page's site override example must be a file the cloud would accept, or integrators copy a broken one.
        var doc = File.ReadAllText(Path.Combine(FindRoot(), "docs", "alerting-rules.md"));
        var start = doc.IndexOf("```json\n", StringComparison.Ordinal);
        Assert.True(start >= 0, "no json example in docs/alerting-rules.md");
        start += "```json\n".Length;
        var directory = Directory.CreateTempSubdirectory("rules-doc-").FullName;
        File.WriteAllText(Path.Combine(directory, "new-estate.json"), doc[start..doc.IndexOf("```", start, StringComparison.Ordinal)]);

        var set = RuleFiles.Load(new RulesOptions { File = DefaultFile, SiteDirectory = directory }, AppContext.BaseDirectory);

        // The example gives the site's boilers the new-boiler NOx class and one of them back the in-use one.
        Assert.Equal(30, set.Settings("new-estate", "boiler-3", "boiler").Number("noxLimit"));
        Assert.Equal(80, set.Settings("new-estate", "boiler-1", "boiler").Number("noxLimit"));
        Assert.Equal(80, set.Settings("other-estate", "boiler-3", "boiler").Number("noxLimit"));
        Assert.DoesNotContain(set.For("new-estate", "charger-shed"), r => r.Id == "charger.door-open");
    }

    [Fact]
    public void LoadFile_BrokenRules_ReportsFileRuleAndField()
    {
        var file = Path.Combine(Directory.CreateTempSubdirectory("rules-").FullName, "bad.json");
        File.WriteAllText(file, """
            [ { "id": "a", "kind": "boiler", "type": "threshold", "severity": "major", "title": "t", "point": "p" },
              { "id": "a", "kind": "boiler", "type": "state", "severity": "info", "title": "t", "point": "p" } ]
            """);
        var error = Assert.Throws<ConfigurationFileException>(() => RuleFiles.LoadFile(file));
        Assert.Contains(file, error.Message, StringComparison.Ordinal);
        Assert.Contains("$[0] (a): 'severity' must be info, warning or critical, got 'major'", error.Problems);
        Assert.Contains("$[0] (a): a threshold rule needs exactly one of 'above' and 'below'", error.Problems);
        Assert.Contains("$[1] (a): a state rule needs 'labels' or 'values'", error.Problems);
        Assert.Contains("$[1]: rule id 'a' appears twice", error.Problems);
    }

    [Fact]
    public void LoadFile_RelativeToOnAStateRuleOrWithAWildcard_IsRefusedWithTheField()
    {
        var file = Path.Combine(Directory.CreateTempSubdirectory("rules-").FullName, "bad.json");
        File.WriteAllText(file, """
            [ { "id": "a", "kind": "boiler", "type": "state", "severity": "info", "title": "t", "point": "p", "values": [1], "relativeTo": "q" },
              { "id": "b", "kind": "boiler", "type": "threshold", "severity": "info", "title": "t", "point": "p", "below": -8, "relativeTo": "q_*" } ]
            """);
        var error = Assert.Throws<ConfigurationFileException>(() => RuleFiles.LoadFile(file));
        Assert.Contains("$[0] (a): 'relativeTo' applies only to threshold rules, not to a State rule", error.Problems);
        Assert.Contains("$[1] (b): 'relativeTo' must name one point of the same device (no wildcards)", error.Problems);
    }

    [Fact]
    public void LoadFile_NegativeForOrNonPositiveWorkOrderDeadline_IsRefusedAtStartUp()
    {
        var file = Path.Combine(Directory.CreateTempSubdirectory("rules-").FullName, "bad.json");
        File.WriteAllText(file, """
            [ { "id": "a", "kind": "boiler", "type": "state", "severity": "info", "title": "t", "point": "p", "values": [1], "for": "-00:01:00" },
              { "id": "b", "kind": "boiler", "type": "state", "severity": "info", "title": "t", "point": "p", "values": [1],
                "workOrder": { "respondWithin": "-01:00:00", "resolveWithin": "00:00:00" } } ]
            """);
        var error = Assert.Throws<ConfigurationFileException>(() => RuleFiles.LoadFile(file));
        Assert.Equal(
            ["$[0] (a): 'for' must not be negative, got -00:01:00",
             "$[1] (b): 'workOrder.respondWithin' must be positive, got -01:00:00",
             "$[1] (b): 'workOrder.resolveWithin' must be positive, got 00:00:00"],
            error.Problems);
    }

    [Fact]
    public void LoadFile_UnknownFieldOrBadJson_NamesThePath()
    {
        var file = Path.Combine(Directory.CreateTempSubdirectory("rules-").FullName, "bad.json");
        File.WriteAllText(file, """[ { "id": "a", "kind": "boiler", "type": "state", "severty": "info" } ]""");
        var error = Assert.Throws<ConfigurationFileException>(() => RuleFiles.LoadFile(file));
        Assert.Contains("severty", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SiteOverride_ReplacesAndDisablesDefaults()
    {
        var directory = Directory.CreateTempSubdirectory("rules-").FullName;
        File.WriteAllText(Path.Combine(directory, "north.json"), """
            [ { "id": "boiler.nox-high", "kind": "boiler", "type": "threshold", "severity": "warning", "title": "NOx > 30", "point": "nox", "above": 30 },
              { "id": "charger.door-open", "enabled": false } ]
            """);
        var set = RuleFiles.Load(new RulesOptions { File = DefaultFile, SiteDirectory = directory }, AppContext.BaseDirectory);
        Assert.Equal((Limit)30, set.For("north", "boiler").Single(r => r.Id == "boiler.nox-high").Above);
        Assert.Equal(new Limit { Parameter = "noxLimit" }, set.For("south", "boiler").Single(r => r.Id == "boiler.nox-high").Above);
        Assert.DoesNotContain(set.For("north", "charger-shed"), r => r.Id == "charger.door-open");
        Assert.Contains(set.For("south", "charger-shed"), r => r.Id == "charger.door-open");
    }

    internal static string FindRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Facilities.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("Facilities.sln not found above the test directory");
    }
}
