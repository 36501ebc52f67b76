using Facilities.Cloud.Configuration;
using Facilities.Cloud.Rules;

namespace Facilities.Cloud.Tests.Alerts;

/// <summary>Device parameters and calendars in rule files: where they are declared, set, and how a bad reference is named.</summary>
public sealed class RuleParametersTests : IDisposable
{
    private static readonly string DefaultFile = Path.Combine(AppContext.BaseDirectory, "rulesets", "default-rules.json");

    private readonly string _directory = Directory.CreateTempSubdirectory("rule-parameters-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void DefaultRules_DeclareTheDocumentedParameters()
    {
        var set = RuleFiles.Load(new RulesOptions { File = DefaultFile }, AppContext.BaseDirectory);
        var boiler = set.Settings("estate", "boiler-1", "boiler");
        Assert.Equal(85, boiler.Number("maxSupply"));
        Assert.Equal(80, boiler.Number("noxLimit"));
        Assert.Equal(18, boiler.Number("roomMinimum"));
        Assert.Equal(8, set.Settings("estate", "shed-1", "charger-shed").Number("maxChargeHours"));
        Assert.NotNull(set.Settings("estate", "aed-1", "aed-cabinet").Number("returnWithinHours"));
        Assert.NotNull(set.Settings("estate", "lift-1", "elevator").Number("ratedSpeed"));
        Assert.Equal("11-15", set.Parameters.Calendars["heatingSeason"].From);
        Assert.Equal("03-15", set.Parameters.Calendars["heatingSeason"].To);
    }

    [Fact]
    public void SiteFile_DeviceParametersAttributesAndCalendar_ReachTheDevicesSettings()
    {
        var sites = Directory.CreateDirectory(Path.Combine(_directory, "sites")).FullName;
        File.WriteAllText(Path.Combine(sites, "estate-a.json"), """
            {
              "calendars": { "heatingSeason": { "from": "11-01", "to": "03-31" } },
              "devices": {
                "boiler-2": { "kind": "boiler", "parameters": { "heatingSystem": "floor" } },
                "lift-1": { "kind": "elevator", "parameters": { "ratedSpeed": 1.75 }, "attributes": { "registrationCode": "31101101002019120001", "rescueCode": "310001" } }
              }
            }
            """);
        var set = RuleFiles.Load(new RulesOptions { File = DefaultFile, SiteDirectory = sites }, AppContext.BaseDirectory);
        Assert.Equal(60, set.Settings("estate-a", "boiler-2", "boiler").Number("maxSupply"));
        Assert.Equal(85, set.Settings("estate-a", "boiler-1", "boiler").Number("maxSupply"));
        var lift = set.Settings("estate-a", "lift-1", "elevator");
        Assert.Equal(1.75, lift.Number("ratedSpeed"));
        Assert.Equal("310001", lift.Attribute("rescueCode"));
        Assert.True(lift.During("heatingSeason", new DateTimeOffset(2026, 11, 5, 4, 0, 0, TimeSpan.Zero)));
        Assert.False(set.Settings("estate-b", "lift-1", "elevator").During("heatingSeason", new DateTimeOffset(2026, 11, 5, 4, 0, 0, TimeSpan.Zero)));
    }

    [Fact]
    public void SiteFile_UnknownParameterBadChoiceAndBadRescueCode_AreRefusedWithThePath()
    {
        var sites = Directory.CreateDirectory(Path.Combine(_directory, "sites")).FullName;
        var file = Path.Combine(sites, "estate-a.json");
        File.WriteAllText(file, """
            {
              "parameters": { "boiler": { "maxSuply": 70 } },
              "devices": {
                "boiler-2": { "kind": "boiler", "parameters": { "heatingSystem": "steam" } },
                "lift-1": { "attributes": { "rescueCode": "12345" } }
              }
            }
            """);
        var error = Assert.Throws<ConfigurationFileException>(() => RuleFiles.Load(new RulesOptions { File = DefaultFile, SiteDirectory = sites }, AppContext.BaseDirectory));
        Assert.Equal(file, error.Path);
        Assert.Contains(error.Problems, p => p.StartsWith("$.parameters.boiler.maxSuply: unknown parameter 'maxSuply' for kind 'boiler'", StringComparison.Ordinal));
        Assert.Contains("$.devices.boiler-2.parameters.heatingSystem: 'heatingSystem' must be one of radiator, floor", error.Problems);
        Assert.Contains("$.devices.lift-1.attributes.rescueCode: the 96333 rescue code is six digits, got '12345'", error.Problems);
    }

    [Fact]
    public void LoadFile_RuleReferencingAnUnknownParameterOrCalendar_NamesRuleAndField()
    {
        var file = Path.Combine(_directory, "rules.json");
        File.WriteAllText(file, """
            {
              "parameters": { "boiler": { "maxSupply": 85 } },
              "rules": [
                { "id": "a", "kind": "boiler", "type": "threshold", "severity": "info", "title": "t", "point": "p", "above": { "parameter": "maxSuply" } },
                { "id": "b", "kind": "boiler", "type": "threshold", "severity": "info", "title": "t", "point": "p", "below": 18, "during": "summer" },
                { "id": "c", "kind": "aed-cabinet", "type": "state", "severity": "info", "title": "t", "point": "p", "values": [0], "forParameter": "maxSupply" }
              ]
            }
            """);
        var error = Assert.Throws<ConfigurationFileException>(() => RuleFiles.LoadFile(file));
        Assert.Contains("$[0] (a): 'above' references unknown parameter 'maxSuply' for kind 'boiler' (known: maxSupply)", error.Problems);
        Assert.Contains("$[1] (b): 'during' references unknown calendar 'summer' (known: heatingSeason)", error.Problems);
        Assert.Contains(error.Problems, p => p.StartsWith("$[2] (c): 'forParameter' must name a duration parameter", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RulesCheck_UnknownParameter_NamesFileRuleAndField()
    {
        var file = Path.Combine(_directory, "rules.json");
        File.WriteAllText(file, """
            { "parameters": { "boiler": { "maxSupply": 85 } },
              "rules": [ { "id": "boiler.hot", "kind": "boiler", "type": "threshold", "severity": "info", "title": "t", "point": "p",
                           "above": { "parameter": "maxSupply" }, "clear": { "parameter": "maxSuply", "offset": -5 } } ] }
            """);
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await RulesCommand.RunAsync(["check", file], TextReader.Null, output, error, TestContext.Current.CancellationToken);
        Assert.Equal(1, code);
        Assert.Contains($"{file}: $[0] (boiler.hot): 'clear' references unknown parameter 'maxSuply' for kind 'boiler' (known: maxSupply)", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RulesCheck_SiteFileNamingAnUnknownParameter_IsCheckedAgainstTheShippedDefaults()
    {
        var file = Path.Combine(_directory, "estate-a.json");
        File.WriteAllText(file, """{ "devices": { "boiler-2": { "kind": "boiler", "parameters": { "heatingSystm": "floor" } } } }""");
        using var output = new StringWriter();
        var code = await RulesCommand.RunAsync(["check", file], TextReader.Null, output, TextWriter.Null, TestContext.Current.CancellationToken);
        Assert.Equal(1, code);
        Assert.Contains($"{file}: $.devices.boiler-2.parameters.heatingSystm: unknown parameter 'heatingSystm' for kind 'boiler'", output.ToString(), StringComparison.Ordinal);
    }
}
