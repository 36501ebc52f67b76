using Facilities.Cloud.Rules;
using static Facilities.Cloud.Tests.Alerts.RulesCommandRun;

namespace Facilities.Cloud.Tests.Alerts;

/// <summary><c>facilities-cloud rules test FILE…</c>: rule-test files as a site engineer writes them, and the shipped ones CI runs.</summary>
public sealed class RulesTestCommandTests : IDisposable
{
    private static readonly string ShippedTests = Path.Combine(RuleSetTests.FindRoot(), "cloud", "Facilities.Cloud", "rulesets", "tests");
    private static readonly string DefaultRules = Path.Combine(RuleSetTests.FindRoot(), "cloud", "Facilities.Cloud", "rulesets", "default-rules.json");

    private readonly string _directory = Directory.CreateTempSubdirectory("rules-test-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Test_ShippedRuleTests_EveryExpectationHolds()
    {
        var files = Directory.GetFiles(ShippedTests, "*.json").Order(StringComparer.Ordinal).ToArray();
        Assert.NotEmpty(files);
        var (code, output, error) = await RunAsync(["test", .. files]);
        Assert.True(code == 0, output + error);
        Assert.All(files, file => Assert.Contains($"{file}: ok (", output, StringComparison.Ordinal));
    }

    [Fact]
    public void Test_EveryShippedRule_HasAFiringAndAHealthyCaseInTheShippedTests()
    {
        var expectations = Directory.GetFiles(ShippedTests, "*.json")
            .SelectMany(file => RuleTestLoader.Load(file).Tests.SelectMany(t => t.Expectations)).ToList();
        // Raised rules are the cloud's own alerts (a gateway offline, a work order past its deadline), not functions of a
        // device's points: the gateway and SLA tests raise them.
        Assert.All(RuleFiles.LoadFile(DefaultRules).Where(rule => rule.Type != Facilities.Cloud.Domain.Rules.RuleType.Raised), rule =>
        {
            Assert.True(expectations.Any(e => e.Rule == rule.Id && e.State == "firing"), $"no shipped test expects {rule.Id} firing");
            Assert.True(expectations.Any(e => e.Rule == rule.Id && e.State is "none" or "resolved"), $"no shipped test expects {rule.Id} quiet");
        });
    }

    [Fact]
    public async Task Test_ExpectationThatDoesNotHold_PrintsTestTimeExpectedAndGot_AndExits1()
    {
        var file = Write("wrong.json", $$"""
            { "ruleFiles": ["{{DefaultRules}}"],
              "tests": [ { "name": "over-pressure", "devices": [ { "device": "boiler-1", "kind": "boiler", "points": { "pressure": { "series": "1.5 3.2x3" } } } ],
                           "expect": [ { "at": "2m", "rule": "boiler.over-pressure", "state": "none" },
                                       { "at": "3m", "rule": "boiler.over-pressure", "state": "firing", "severity": "critical" } ] } ] }
            """);
        var (code, output, _) = await RunAsync("test", file);
        Assert.Equal(1, code);
        var lines = Lines(output);
        Assert.Contains($"{file}: FAILED test \"over-pressure\" at 2m: boiler.over-pressure on boiler-1", lines);
        Assert.Contains("expected: none", lines);
        Assert.Contains(lines, line => line.StartsWith("got: firing since 1m, severity critical", StringComparison.Ordinal));
        Assert.Contains($"{file}: FAILED (1 of 2 expectations in 1 test)", lines);
    }

    [Fact]
    public async Task Test_BrokenTestFile_IsRefusedNamingFileTestAndField()
    {
        var file = Write("broken.json", $$"""
            { "ruleFiles": ["{{DefaultRules}}"],
              "tests": [ { "name": "t1", "interval": "5q",
                           "devices": [ { "device": "e1", "kind": "elevator", "points": { "fault_code": { "labels": { "0": "none" }, "series": "none trapped" }, "floor": {} } } ],
                           "expect": [ { "at": "1m", "rule": "elevator.no-such-rule", "state": "fired" } ] } ] }
            """);
        var (code, output, _) = await RunAsync("test", file);
        Assert.Equal(1, code);
        var lines = Lines(output);
        Assert.Contains($"{file}: $.tests[0] (\"t1\").interval: '5q' is not a positive duration (use e.g. 30s, 5m, 1h30m, 2d or 00:05:00)", lines);
        Assert.Contains($"{file}: $.tests[0] (\"t1\").devices[0].points.fault_code.series: 'trapped' is neither a number nor one of this point's labels (none)", lines);
        Assert.Contains($"{file}: $.tests[0] (\"t1\").devices[0].points.floor: give exactly one of 'series' and 'values'", lines);
        Assert.Contains($"{file}: $.tests[0] (\"t1\").expect[0].state: 'fired' is not one of firing, pending, resolved, none", lines);
        Assert.Contains($"{file}: $.tests[0] (\"t1\").expect[0].rule: no enabled rule 'elevator.no-such-rule' applies to e1 (kind 'elevator', site 'site')", lines);
        Assert.DoesNotContain(lines, line => line.Contains(": ok (", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Test_UnknownFieldAndMissingRuleFile_AreRefusedNamingThem()
    {
        var typo = Write("typo.json", $$"""{ "ruleFiles": ["{{DefaultRules}}"], "tests": [ { "nmae": "t" } ] }""");
        var missing = Write("missing.json", """{ "ruleFiles": ["no-such-rules.json"], "tests": [ { "name": "t", "devices": [ { "device": "d", "kind": "boiler", "points": { "p": { "series": "1" } } } ], "expect": [ { "at": "0m", "rule": "r", "state": "none" } ] } ] }""");
        var (code, output, _) = await RunAsync("test", typo, missing);
        Assert.Equal(1, code);
        var lines = Lines(output);
        Assert.Contains($"{typo}: $.tests[0].nmae: unknown field", lines);
        Assert.Contains(lines, line => line.StartsWith($"{missing}: $.ruleFiles[0]: {Path.Combine(_directory, "no-such-rules.json")}: $: ", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("5s", "42m5s")] // the cloud's sweep: silence is noticed within 5 s of passing 12 min
    [InlineData("1m", "43m")]
    public async Task Test_SilenceIsDecidedByTheSweeper_AtItsInterval(string sweep, string fires)
    {
        var file = Write("stale.json", $$"""
            { "ruleFiles": ["{{DefaultRules}}"], "sweepInterval": "{{sweep}}",
              "tests": [ { "name": "stale", "interval": "5m", "devices": [ { "device": "aed-1", "kind": "aed-cabinet", "points": { "battery": { "series": "96x7" } } } ],
                           "expect": [ { "at": "42m", "rule": "device.stale", "state": "none" }, { "at": "{{fires}}", "rule": "device.stale", "state": "firing" } ] } ] }
            """);
        var (code, output, _) = await RunAsync("test", file);
        Assert.True(code == 0, output);
    }

    [Fact]
    public async Task Test_SiteOverride_ReplacesTheDefaultRuleForThatSiteOnly()
    {
        var site = Write("north.json", """[ { "id": "boiler.nox-high", "kind": "boiler", "type": "threshold", "severity": "warning", "title": "NOx > 30 (new boiler)", "point": "nox", "above": 30 } ]""");
        var file = Write("override.json", $$"""
            { "ruleFiles": ["{{DefaultRules}}"], "siteRuleFiles": { "north": "north.json" },
              "tests": [ { "name": "new boiler", "devices": [
                  { "device": "b-north", "kind": "boiler", "site": "north", "points": { "nox": { "series": "40x3" } } },
                  { "device": "b-south", "kind": "boiler", "site": "south", "points": { "nox": { "series": "40x3" }, "burner_on": { "series": "1x3" } } } ],
                "expect": [ { "at": "1m", "rule": "boiler.nox-high", "device": "b-north", "state": "firing" },
                            { "at": "2m", "rule": "boiler.nox-high", "device": "b-south", "state": "none" } ] } ] }
            """);
        var (code, output, _) = await RunAsync("test", file);
        Assert.True(code == 0, output);
    }

    [Fact]
    public async Task Test_SiteFileDeviceParameters_SetThatDevicesThreshold()
    {
        Write("estate.json", """{ "devices": { "b-floor": { "kind": "boiler", "parameters": { "heatingSystem": "floor" } } } }""");
        var file = Write("floor.json", $$"""
            { "ruleFiles": ["{{DefaultRules}}"], "siteRuleFiles": { "estate": "estate.json" },
              "tests": [ { "name": "62 °C supply", "devices": [
                  { "device": "b-floor", "kind": "boiler", "site": "estate", "points": { "supply_temperature": { "series": "62x4" } } },
                  { "device": "b-radiator", "kind": "boiler", "site": "estate", "points": { "supply_temperature": { "series": "62x4" } } } ],
                "expect": [ { "at": "3m", "rule": "boiler.supply-too-hot", "device": "b-floor", "state": "firing" },
                            { "at": "3m", "rule": "boiler.supply-too-hot", "device": "b-radiator", "state": "none" } ] } ] }
            """);
        var (code, output, _) = await RunAsync("test", file);
        Assert.True(code == 0, output);
    }

    [Theory]
    [InlineData("test", "name at least one rule-test file")]
    [InlineData("test --fast x.json", "unknown option '--fast'")]
    public async Task Test_UsageError_Exits2WithUsage(string arguments, string expected)
    {
        var (code, output, error) = await RunAsync(arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(2, code);
        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.Contains("usage: facilities-cloud rules test FILE...", error, StringComparison.Ordinal);
        Assert.Empty(output);
    }

    [Theory]
    [InlineData("46 46 30x3", "46 46 30 30 30")]
    [InlineData("20+5x4", "20 25 30 35")]
    [InlineData("60-2.5x3", "60 57.5 55")]
    [InlineData("1 _x2 1", "1 _ _ 1")]
    [InlineData("1e-3", "0.001")]
    public void Series_Notation_ExpandsToSamples(string series, string expected)
    {
        var problems = new List<string>();
        var samples = series.Split(' ').SelectMany(token => RuleTestSeries.Expand(token, "series", problems))
            .Select(s => s is { } v ? v.Number.ToString(System.Globalization.CultureInfo.InvariantCulture) : "_");
        Assert.Empty(problems);
        Assert.Equal(expected, string.Join(' ', samples));
    }

    [Theory]
    [InlineData("90s", 90)]
    [InlineData("1h30m", 5400)]
    [InlineData("2d", 172800)]
    [InlineData("00:05:00", 300)]
    [InlineData("0", 0)]
    public void Duration_PrometheusAndDotNetForms_Parse(string text, double seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), RuleTestLoader.ParseDuration(text));

    private string Write(string name, string content) => RulesCommandRun.Write(_directory, name, content);
}
