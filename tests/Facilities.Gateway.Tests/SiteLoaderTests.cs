using Facilities.Gateway.Profiles;
using Facilities.Gateway.Site;

namespace Facilities.Gateway.Tests;

public sealed class SiteLoaderTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("site-test-").FullName;

    private static string Shipped => Path.Combine(AppContext.BaseDirectory, "profiles");

    private string Write(string json)
    {
        var path = Path.Combine(_directory, "site.json");
        File.WriteAllText(path, json);
        return path;
    }

    private const string Valid = """
        { "site": "estate-a", "gateway": "gw-1",
          "buses": [ { "id": "line", "type": "serial", "device": "/dev/ttyUSB0", "baudRate": 9600 } ],
          "devices": [ { "id": "aed", "bus": "line", "unit": 1, "count": 3, "profile": "facilities-sim-aed-cabinet" } ] }
        """;

    [Fact]
    public void Load_ShippedSample_IsValid()
    {
        var site = SiteLoader.Load(Path.Combine(AppContext.BaseDirectory, "sites", "sample-estate.json"), Shipped);
        Assert.Equal(72, site.Devices.Count);
    }

    [Fact]
    public void Load_Counted_ExpandsAndUsesProfileInterval()
    {
        var site = SiteLoader.Load(Write(Valid), Shipped);
        Assert.Equal(["aed-1", "aed-2", "aed-3"], site.Devices.Select(d => d.Id));
        Assert.All(site.Devices, d => Assert.Equal(TimeSpan.FromMinutes(1), d.Interval));
    }

    [Theory]
    [InlineData("\"baudRate\": 9600", "\"baudRate\": 9601, \"parity\": \"mark\"", "$.buses[0].parity: 'mark' is not none, even or odd")]
    [InlineData("\"device\": \"/dev/ttyUSB0\", ", "", "$.buses[0].device: a serial bus needs its device")]
    [InlineData("\"unit\": 1, \"count\": 3", "\"unit\": 246, \"count\": 3", "$.devices[0].unit: unit id 248 is outside 1..247")]
    [InlineData("facilities-sim-aed-cabinet", "aed-cabinet-v2", "$.devices[0].profile: no profile 'aed-cabinet-v2' (known:")]
    [InlineData("\"gw-1\"", "\"GW 1\"", "$.gateway: 'GW 1' must be")]
    [InlineData("\"count\": 3", "\"count\": 3, \"pollIntervall\": 1", "$.devices[0]")]
    public void Load_Invalid_NamesFilePathAndProblem(string replace, string with, string expected)
    {
        var path = Write(Valid.Replace(replace, with, StringComparison.Ordinal));
        var error = Assert.Throws<ConfigurationFileException>(() => SiteLoader.Load(path, Shipped));
        Assert.Contains($"{path}: {expected}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_BrokenProfileInTheSitesDirectory_ReportsTheProfileFile()
    {
        var profiles = Directory.CreateDirectory(Path.Combine(_directory, "profiles")).FullName;
        File.WriteAllText(Path.Combine(profiles, "meter.json"), """{ "kind": "meter", "points": [ { "name": "x", "table": "holding", "address": 0, "type": "uint33" } ] }""");
        var path = Write(Valid.Replace("\"site\"", "\"profiles\": \"profiles\", \"site\"", StringComparison.Ordinal));
        var error = Assert.Throws<ConfigurationFileException>(() => SiteLoader.Load(path, Shipped));
        Assert.Contains("meter.json: $.points[0].type: 'uint33' is not one of", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GatewayBinary_InvalidSite_RefusesToStartWithTheErrors()
    {
        var path = Write(Valid.Replace("\"unit\": 1", "\"unit\": 0", StringComparison.Ordinal));
        var run = await ChildProcess.RunAsync("dotnet", [Path.Combine(AppContext.BaseDirectory, "facilities-gateway.dll"), "--site", path, "--data", _directory],
            TimeSpan.FromMinutes(2), TestContext.Current.CancellationToken);
        var errors = run.Stderr;
        Assert.Equal(2, run.ExitCode);
        Assert.Contains($"{path}: $.devices[0].unit: unit id 0 is outside 1..247", errors, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
