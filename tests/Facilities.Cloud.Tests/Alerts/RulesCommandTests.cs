using Facilities.Cloud.Rules;
using static Facilities.Cloud.Tests.Alerts.RulesCommandRun;

namespace Facilities.Cloud.Tests.Alerts;

/// <summary><c>facilities-cloud rules check FILE…</c>, as a site engineer runs it before deploying a rule file.</summary>
public sealed class RulesCommandTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("rules-check-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Check_ShippedDefaultRules_PassesStrictWithNoWarning()
    {
        // The source file, not the copy in bin/: this is what keeps the shipped rules valid in CI.
        var shipped = Path.Combine(RuleSetTests.FindRoot(), "cloud", "Facilities.Cloud", "rulesets", "default-rules.json");
        var (code, output, error) = await RunAsync("check", "--strict", shipped);
        Assert.True(code == 0, output + error);
        Assert.Equal($"{shipped}: ok ({RuleFiles.LoadFile(shipped).Count} rules)", output.Trim());
    }

    [Fact]
    public async Task Check_BrokenFile_ReportsFileRuleAndField_AndExits1_WhileTheGoodFileIsOk()
    {
        var good = Write("good.json", """[ { "id": "b", "kind": "boiler", "type": "threshold", "severity": "info", "title": "t", "point": "p", "above": 3 } ]""");
        var bad = Write("bad.json", """
            [ { "id": "a", "kind": "boiler", "type": "threshold", "severity": "major", "title": "t", "point": "p", "above": 1 },
              { "id": "c", "kind": "boiler", "type": "state", "severity": "info", "title": "t", "point": "p", "values": [1], "for": "-00:05:00" },
              { "id": "d", "kind": "boiler", "type": "state", "severity": "info", "title": "t", "point": "p", "values": [1], "workOrder": { "respondWithin": "00:00:00" } } ]
            """);
        var (code, output, _) = await RunAsync("check", good, bad);
        Assert.Equal(1, code);
        var lines = Lines(output);
        Assert.Contains($"{good}: ok (1 rule)", lines);
        Assert.Contains($"{bad}: $[0] (a): 'severity' must be info, warning or critical, got 'major'", lines);
        Assert.Contains($"{bad}: $[1] (c): 'for' must not be negative, got -00:05:00", lines);
        Assert.Contains($"{bad}: $[2] (d): 'workOrder.respondWithin' must be positive, got 00:00:00", lines);
        Assert.DoesNotContain(lines, line => line.StartsWith($"{bad}: ok", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Check_MissingFile_Exits1NamingIt()
    {
        var missing = Path.Combine(_directory, "no-such-rules.json");
        var (code, output, _) = await RunAsync("check", missing);
        Assert.Equal(1, code);
        Assert.StartsWith($"{missing}: $: ", output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_BrokenJson_NamesFileAndJsonPath_WithoutAStackTrace()
    {
        var broken = Write("typo.json", """[ { "id": "a", "kind": "boiler", "type": "state", "severty": "info" } ]""");
        var (code, output, _) = await RunAsync("check", broken);
        Assert.Equal(1, code);
        Assert.StartsWith($"{broken}: $[0].severty: ", output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", "usage: facilities-cloud rules check")]
    [InlineData("check", "name at least one rule file")]
    [InlineData("check --lint x.json", "unknown option '--lint'")]
    [InlineData("lint x.json", "unknown command 'lint'")]
    public async Task Check_UsageError_Exits2WithUsage(string arguments, string expected)
    {
        var (code, output, error) = await RunAsync(arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(2, code);
        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.Contains("usage: facilities-cloud rules check", error, StringComparison.Ordinal);
        Assert.Empty(output);
    }

    [Fact]
    public async Task Check_SiteOverrideWithADisableEntry_IsRecognisedAndPasses()
    {
        var site = Write("north.json", """
            [ { "id": "boiler.nox-high", "kind": "boiler", "type": "threshold", "severity": "warning", "title": "NOx > 30", "point": "nox", "above": 30 },
              { "id": "charger.door-open", "enabled": false } ]
            """);
        var (code, output, error) = await RunAsync("check", site);
        Assert.True(code == 0, output + error);
        Assert.Equal($"{site}: ok (2 rules, site override)", output.Trim());
    }

    [Fact]
    public async Task Check_OverrideFlag_AllowsADisableEntryAmongFullRules()
    {
        // Without the entry's bare shape to go by (it carries a kind), only --override says it is a site file.
        var site = Write("south.json", """[ { "id": "charger.door-open", "kind": "charger-shed", "enabled": false } ]""");
        Assert.Equal(1, (await RunAsync("check", site)).Code);
        Assert.Equal(0, (await RunAsync("check", "--override", site)).Code);
    }

    [Fact]
    public async Task Check_ConditionTestingNothingAndClearAtTheLimit_WarnsButPasses_UnlessStrict()
    {
        var doubtful = Write("doubtful.json", """
            [ { "id": "boiler.hot", "kind": "boiler", "type": "threshold", "severity": "warning", "title": "t", "point": "supply_temperature",
                "above": 90, "clear": 90, "when": [ { "point": "burner" } ], "suppressWhen": [ { "point": "mode", "labels": ["service"] } ] } ]
            """);
        var (code, output, _) = await RunAsync("check", doubtful);
        Assert.Equal(0, code);
        var lines = Lines(output);
        Assert.Contains($"{doubtful}: $[0] (boiler.hot): warning: 'when[0]' on 'burner' tests nothing (no labels, values, above or below): it holds whenever the point has been reported", lines);
        Assert.Contains(lines, line => line.StartsWith($"{doubtful}: $[0] (boiler.hot): warning: 'clear' equals the limit", StringComparison.Ordinal));
        Assert.Contains($"{doubtful}: ok (1 rule, 2 warnings)", lines);
        Assert.DoesNotContain(lines, line => line.Contains("suppressWhen", StringComparison.Ordinal));

        (code, output, _) = await RunAsync("check", "--strict", doubtful);
        Assert.Equal(1, code);
        Assert.DoesNotContain(": ok (", output, StringComparison.Ordinal);
    }

    private string Write(string name, string content) => RulesCommandRun.Write(_directory, name, content);
}
