using Facilities.Gateway.Profiles;

namespace Facilities.Gateway.Tests;

public sealed class ProfileLoaderTests
{
    private const string Valid = """
        { "kind": "meter", "pollInterval": "00:00:05",
          "points": [ { "name": "energy", "table": "holding", "address": 10, "type": "uint32", "wordOrder": "little" } ] }
        """;

    [Fact]
    public void ShippedProfiles_AllLoad()
    {
        var profiles = ProfileLoader.LoadDirectory(Path.Combine(AppContext.BaseDirectory, "profiles"));
        Assert.Equal(["aed-cabinet", "boiler", "charger-shed", "elevator"], profiles.Values.Select(p => p.Kind).Distinct().Order());
        Assert.Equal(TimeSpan.FromSeconds(1), profiles["facilities-sim-elevator"].PollInterval);
        Assert.True(profiles["facilities-sim-boiler"].Points.Single(p => p.Name == "pressure").WordSwap);
    }

    [Fact]
    public void Parse_Valid_NameDefaultsToFileName()
    {
        var profile = ProfileLoader.Parse(Valid, "meter.json", "meter");
        Assert.Equal("meter", profile.Name);
        Assert.Equal(2, Assert.Single(profile.Points).Count);
    }

    [Theory]
    [InlineData("\"type\": \"uint32\"", "\"type\": \"flaot32\"", "$.points[0].type: 'flaot32' is not one of")]
    [InlineData("\"table\": \"holding\"", "\"table\": \"holdings\"", "$.points[0].table: 'holdings' is not one of")]
    [InlineData("\"address\": 10", "\"address\": 400011", "$.points[0].address: 400011 is outside 0..65535 (use 0-based PDU addresses")]
    [InlineData("\"type\": \"uint32\"", "\"type\": \"bit\"", "$.points[0].bit: a bit point needs")]
    [InlineData("\"table\": \"holding\"", "\"table\": \"coil\"", "$.points[0].type: a coil holds single bits")]
    [InlineData("\"wordOrder\": \"little\"", "\"wordOrder\": \"cdab\"", "$.points[0].wordOrder: 'cdab' is not big or little")]
    [InlineData("\"kind\": \"meter\",", "", "$.kind: required")]
    [InlineData("\"pollInterval\": \"00:00:05\"", "\"pollInterval\": \"00:00:00.010\"", "$.pollInterval: 00:00:00.0100000 is shorter than 100 ms")]
    public void Parse_Invalid_NamesFilePathAndProblem(string replace, string with, string expected)
    {
        var error = Assert.Throws<ConfigurationFileException>(() => ProfileLoader.Parse(Valid.Replace(replace, with, StringComparison.Ordinal), "meter.json", "meter"));
        Assert.Contains($"meter.json: {expected}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_UnknownField_NamesIt()
    {
        var error = Assert.Throws<ConfigurationFileException>(() => ProfileLoader.Parse(Valid.Replace("\"kind\"", "\"scael\": 2, \"kind\"", StringComparison.Ordinal), "m.json", "m"));
        Assert.Contains("scael", error.Message, StringComparison.Ordinal);
    }
}
