using Facilities.FirmwareSim.Community;
using Facilities.FirmwareSim.Maps;

namespace Facilities.FirmwareSim.Tests;

public sealed class CommunityLoaderTests
{
    private const string Valid = """
        {
          "name": "t",
          "sites": [{ "id": "s", "buildings": [{ "id": "b" }] }],
          "buses": [{ "id": "bus", "type": "tcp", "port": 0 }],
          "devices": [{ "id": "lift", "kind": "elevator", "site": "s", "building": "b", "bus": "bus", "unit": 1, "count": 3 }]
        }
        """;

    [Fact]
    public void Parse_CountedEntry_ExpandsIdsAndUnits()
    {
        var file = CommunityLoader.Parse(Valid, "t.json");
        var devices = CommunityLoader.CreateDevices(file, ModelTestKit.Start);
        Assert.Equal(["lift-1", "lift-2", "lift-3"], devices.Select(d => d.Id));
        Assert.Equal([1, 2, 3], devices.Select(d => (int)d.Identity.UnitId));
        Assert.Equal(19200, file.Buses[0].BaudRate);
    }

    [Fact]
    public void Parse_BrokenJson_NamesFileAndLine()
    {
        var error = Assert.Throws<CommunityFileException>(() => CommunityLoader.Parse("{\n \"name\": \"x\",\n \"speed\": fast }", "broken.json"));
        Assert.StartsWith("broken.json: $.speed (line 3)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_UnknownField_IsAnError()
    {
        var error = Assert.Throws<CommunityFileException>(() => CommunityLoader.Parse("""{ "nmae": "typo" }""", "c.json"));
        Assert.Contains("nmae", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"unit\": 1, \"count\": 3", "\"unit\": 250", "$.devices[0].unit: unit id 250 is outside 1..247")]
    [InlineData("\"kind\": \"elevator\"", "\"kind\": \"escalator\"", "$.devices[0].kind: 'escalator' is not one of")]
    [InlineData("\"bus\": \"bus\", \"unit\"", "\"bus\": \"nope\", \"unit\"", "$.devices[0].bus: no bus 'nope'")]
    [InlineData("\"type\": \"tcp\"", "\"type\": \"serial\"", "$.buses[0].link: a serial bus needs")]
    [InlineData("\"count\": 3", "\"count\": 3, \"options\": { \"topFloor\": -5 }", "$.devices[0].options: topFloor -5 must be above")]
    [InlineData("\"count\": 3", "\"count\": 3, \"options\": { \"floors\": 5 }", "$.devices[0].options: $.floors")]
    public void Parse_InvalidEntry_NamesPathAndProblem(string replace, string with, string expected)
    {
        var error = Assert.Throws<CommunityFileException>(() => CommunityLoader.Parse(Valid.Replace(replace, with, StringComparison.Ordinal), "c.json"));
        Assert.Contains($"c.json: {expected}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_TwoDevicesOnOneUnit_IsAnError()
    {
        var json = Valid.Replace("\"count\": 3 }]", "\"count\": 3 }, { \"id\": \"boiler\", \"kind\": \"boiler\", \"site\": \"s\", \"building\": \"b\", \"bus\": \"bus\", \"unit\": 2 }]", StringComparison.Ordinal);
        var error = Assert.Throws<CommunityFileException>(() => CommunityLoader.Parse(json, "c.json"));
        Assert.Contains("$.devices[1].unit: unit 2 is already taken on bus 'bus'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SampleEstate_IsValidAndHasTheBriefsEquipment()
    {
        var file = CommunityLoader.Load(Path.Combine(AppContext.BaseDirectory, "communities", "sample-estate.json"));
        var devices = CommunityLoader.CreateDevices(file, ModelTestKit.Start);
        Assert.Equal(56, devices.Count(d => d.Kind == "elevator"));
        Assert.Equal(2, devices.Count(d => d.Kind == "boiler"));
        Assert.Equal(6, devices.Count(d => d.Kind == "charger-shed"));
        Assert.Equal(8, devices.Count(d => d.Kind == "aed-cabinet"));
        Assert.Equal(["rtu-over-tcp", "serial", "tcp"], file.Buses.Select(b => b.Type).Distinct().Order());
    }

    [Fact]
    public void RegisterMapDocs_MatchWhatTheSimulatorServes()
    {
        foreach (var map in RegisterMapDocument.Documented)
        {
            var path = Path.Combine(RepositoryRoot(), "docs", "register-maps", $"{map.Kind}.md");
            Assert.True(File.Exists(path), $"{path} is missing: run `dotnet run --project firmware-sim/Facilities.FirmwareSim -- maps docs/register-maps`");
            Assert.True(RegisterMapDocument.Render(map) == File.ReadAllText(path),
                $"{path} is out of date: run `dotnet run --project firmware-sim/Facilities.FirmwareSim -- maps docs/register-maps`");
        }
    }

    internal static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Facilities.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("Facilities.sln not found above the test directory.");
    }
}
