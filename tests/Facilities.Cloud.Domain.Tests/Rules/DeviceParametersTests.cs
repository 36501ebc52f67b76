using System.Text.Json;
using Facilities.Cloud.Domain.Devices;
using Facilities.Cloud.Domain.Rules;

namespace Facilities.Cloud.Domain.Tests.Rules;

public sealed class DeviceParametersTests
{
    private static readonly DateTimeOffset Now = new(2027, 1, 14, 22, 0, 0, TimeSpan.Zero);

    /// <summary>The boiler's declarations as the shipped rule file has them.</summary>
    internal static ParameterSet Boilers { get; } = new(
        new Dictionary<string, IReadOnlyDictionary<string, ParameterDeclaration>>
        {
            ["boiler"] = new Dictionary<string, ParameterDeclaration>
            {
                ["heatingSystem"] = Declaration("""{ "default": "radiator", "choices": { "radiator": { "maxSupply": 85 }, "floor": { "maxSupply": 60 } } }"""),
                ["noxClass"] = Declaration("""{ "default": "in-use", "choices": { "new": { "noxLimit": 30 }, "in-use": { "noxLimit": 80 } } }"""),
                ["roomMinimum"] = Declaration("18"),
            },
            ["charger-shed"] = new Dictionary<string, ParameterDeclaration> { ["maxChargeHours"] = Declaration("8") },
        },
        new Dictionary<string, SeasonCalendar> { ["heatingSeason"] = SeasonCalendar.HeatingSeason });

    private static ParameterDeclaration Declaration(string json) => ParameterDeclaration.Read(JsonDocument.Parse(json).RootElement).Declaration!;

    private static SiteParameters Site(Dictionary<string, ParameterValue>? boilers = null, Dictionary<string, DeviceEntry>? devices = null) => new(
        new Dictionary<string, IReadOnlyDictionary<string, ParameterValue>> { ["boiler"] = boilers ?? [] },
        new Dictionary<string, SeasonCalendar>(),
        devices ?? []);

    [Fact]
    public void Resolve_NoSiteFile_KindDefaultsAndTheDefaultChoicesNumbers()
    {
        var settings = Boilers.Resolve("boiler", null, "boiler-1", DeviceSettings.Default.Zone);
        Assert.Equal(85, settings.Number("maxSupply"));
        Assert.Equal(80, settings.Number("noxLimit"));
        Assert.Equal("radiator", settings.Texts["heatingSystem"]);
        Assert.Null(settings.Number("maxChargeHours"));
    }

    [Fact]
    public void Resolve_DeviceChoosesFloorHeating_OverridesTheSitesNumber()
    {
        var site = Site(
            new() { ["maxSupply"] = new ParameterValue(70, null), ["noxClass"] = new ParameterValue(null, "new") },
            new() { ["boiler-2"] = new DeviceEntry(new Dictionary<string, ParameterValue> { ["heatingSystem"] = new(null, "floor") }, new Dictionary<string, string>()) });
        Assert.Equal(60, Boilers.Resolve("boiler", site, "boiler-2", DeviceSettings.Default.Zone).Number("maxSupply"));
        Assert.Equal(70, Boilers.Resolve("boiler", site, "boiler-1", DeviceSettings.Default.Zone).Number("maxSupply"));
        Assert.Equal(30, Boilers.Resolve("boiler", site, "boiler-2", DeviceSettings.Default.Zone).Number("noxLimit"));
    }

    [Fact]
    public void Resolve_DeviceAttributes_AreCarried()
    {
        var site = new SiteParameters(
            new Dictionary<string, IReadOnlyDictionary<string, ParameterValue>>(), new Dictionary<string, SeasonCalendar>(),
            new Dictionary<string, DeviceEntry>
            {
                ["lift-1"] = new(new Dictionary<string, ParameterValue>(), new Dictionary<string, string> { ["registrationCode"] = "31101101002019120001", ["rescueCode"] = "123456" }),
            });
        var settings = Boilers.Resolve("elevator", site, "lift-1", DeviceSettings.Default.Zone);
        Assert.Equal("123456", settings.Attribute(DeviceSettings.RescueCode));
        Assert.Equal("31101101002019120001", settings.Attribute(DeviceSettings.RegistrationCode));
    }

    [Theory]
    [InlineData("heatingSystem", "floor", null)]
    [InlineData("heatingSystem", "steam", "'heatingSystem' must be one of radiator, floor")]
    [InlineData("maxSupply", "70", null)]
    [InlineData("maxSupply", "hot", "'maxSupply' is a number")]
    public void CheckValue_ChoicesAndNumbers_AreChecked(string name, string value, string? problem)
    {
        var parsed = double.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, out var number) ? new ParameterValue(number, null) : new ParameterValue(null, value);
        Assert.Equal(problem, Boilers.CheckValue("boiler", name, parsed));
    }

    [Fact]
    public void CheckValue_UnknownName_SaysWhichAreKnown() =>
        Assert.StartsWith("unknown parameter 'maxSuply' for kind 'boiler' (known: heatingSystem, maxSupply, noxClass, noxLimit, roomMinimum)",
            Boilers.CheckValue("boiler", "maxSuply", new ParameterValue(1, null)), StringComparison.Ordinal);

    [Theory]
    [InlineData(2026, 11, 14, false)]
    [InlineData(2026, 11, 15, true)]
    [InlineData(2027, 1, 14, true)]
    [InlineData(2027, 3, 15, true)]
    [InlineData(2027, 3, 16, false)]
    [InlineData(2027, 7, 1, false)]
    public void HeatingSeason_AcrossTheNewYear_IncludesBothEnds(int year, int month, int day, bool inSeason) =>
        Assert.Equal(inSeason, SeasonCalendar.HeatingSeason.Contains(new DateOnly(year, month, day)));

    [Fact]
    public void During_SiteLocalDate_DecidesNotTheUtcDate()
    {
        // 2026-11-14 17:00 UTC is already 15 November 01:00 in Beijing: in season there, not yet in UTC.
        var at = new DateTimeOffset(2026, 11, 14, 17, 0, 0, TimeSpan.Zero);
        Assert.True(DeviceSettings.Default.During("heatingSeason", at));
        Assert.False((DeviceSettings.Default with { Zone = TimeZoneInfo.Utc }).During("heatingSeason", at));
    }

    [Fact]
    public void SeasonCalendar_Read_RefusesAnImpossibleDate()
    {
        var (calendar, problem) = SeasonCalendar.Read(JsonDocument.Parse("""{ "from": "11-31", "to": "03-15" }""").RootElement);
        Assert.Null(calendar);
        Assert.Equal("'from' must be a month and day as MM-dd, got '11-31'", problem);
    }

    [Fact]
    public void Threshold_AboveParameter_FollowsTheDevicesHeatingSystem()
    {
        var rule = new RuleDefinition
        {
            Type = RuleType.Threshold, Point = "supply_temperature",
            Above = new Limit { Parameter = "maxSupply" }, Clear = new Limit { Parameter = "maxSupply", Offset = -5 },
        };
        var floor = Boilers.Resolve("boiler", Site(devices: new() { ["b2"] = new DeviceEntry(new Dictionary<string, ParameterValue> { ["heatingSystem"] = new(null, "floor") }, new Dictionary<string, string>()) }), "b2", DeviceSettings.Default.Zone);
        var radiator = Boilers.Resolve("boiler", null, "b1", DeviceSettings.Default.Zone);
        var verdict = RuleEvaluator.Evaluate(rule, Facts(floor, ("supply_temperature", 63)), false, Now);
        Assert.True(verdict.Active);
        Assert.Equal("supply_temperature = 63 (limit 60 = maxSupply, clears below 55)", verdict.Detail);
        Assert.False(RuleEvaluator.Evaluate(rule, Facts(radiator, ("supply_temperature", 63)), false, Now).Active);
    }

    [Fact]
    public void Threshold_ParameterTheDeviceLacks_IsUnknown()
    {
        var rule = new RuleDefinition { Type = RuleType.Threshold, Point = "supply_temperature", Above = new Limit { Parameter = "maxSupply" } };
        Assert.Null(RuleEvaluator.Evaluate(rule, Facts(null, ("supply_temperature", 99)), false, Now).Active);
    }

    [Fact]
    public void Limit_FactorAndOffset_ScaleTheParameter()
    {
        var settings = Boilers.Resolve("charger-shed", null, "shed", DeviceSettings.Default.Zone);
        Assert.Equal(480, new Limit { Parameter = "maxChargeHours", Factor = 60 }.Resolve(settings));
        Assert.Equal(475, new Limit { Parameter = "maxChargeHours", Factor = 60, Offset = -5 }.Resolve(settings));
    }

    [Fact]
    public void PendingFor_DurationParameter_TakesItsUnitFromTheName()
    {
        var rule = new RuleDefinition { ForParameter = "returnWithinHours", For = TimeSpan.FromMinutes(1) };
        var settings = DeviceSettings.Default with { Numbers = new Dictionary<string, double> { ["returnWithinHours"] = 4 } };
        Assert.Equal(TimeSpan.FromHours(4), rule.PendingFor(settings));
        Assert.Equal(TimeSpan.FromMinutes(1), rule.PendingFor(DeviceSettings.Default));
    }

    private static DeviceFacts Facts(DeviceSettings? settings, params (string Point, double Value)[] points) =>
        new("estate", "gw", "dev", "boiler", "plant", true, Now, null, Now,
            points.ToDictionary(p => p.Point, p => new PointReading(p.Value, null, Now)), settings);
}
