using Facilities.Cloud.Domain.Chargers;
using Facilities.Cloud.Domain.Devices;

namespace Facilities.Cloud.Domain.Tests.Chargers;

public sealed class ChargerAvailabilityTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);

    private static readonly ChargerTiming Options = new(StaleAfter: TimeSpan.FromMinutes(11), TypicalChargeDuration: TimeSpan.FromHours(6));

    private static ShedFacts Shed(Dictionary<string, PointReading> points, string state = "online", string? gateway = "online", TimeSpan? silentFor = null) =>
        new("shed-1", "b01", state, Now - (silentFor ?? TimeSpan.FromSeconds(5)), gateway, points);

    private static PointReading At(double value, TimeSpan ago, string? label = null) => new(value, label, Now - ago);

    private static Dictionary<string, PointReading> FourPorts() => new()
    {
        ["port_count"] = At(4, TimeSpan.FromMinutes(1)),
        ["port_1_status"] = At(0, TimeSpan.FromMinutes(1)),
        ["port_2_status"] = At(1, TimeSpan.FromMinutes(1)),
        ["port_2_minutes_to_full"] = At(90, TimeSpan.FromMinutes(10)),
        ["port_3_status"] = At(2, TimeSpan.FromMinutes(1)),
        ["port_4_status"] = At(0, TimeSpan.FromMinutes(1)),
        ["port_4_fault_code"] = At(1, TimeSpan.FromMinutes(1)),
    };

    [Fact]
    public void Evaluate_OnlineShed_MapsEveryPortAndCountsTheFreeOnes()
    {
        var view = ChargerAvailability.Evaluate(Shed(FourPorts()), Options, Now);

        Assert.Equal("available", view.Status);
        Assert.Equal(["free", "charging", "finished", "fault"], view.Ports.Select(p => p.State));
        Assert.Equal((1, 4, "1 of 4 free"), (view.Free, view.Total, view.Summary));
        var charging = view.Ports[1];
        Assert.Equal(Now.AddMinutes(80), charging.ExpectedFreeAt); // read 10 minutes ago with 90 to go
        Assert.Equal(ChargerAvailability.BasisMinutesToFull, charging.ExpectedFreeBasis);
        Assert.All(view.Ports.Where(p => p.State != "charging"), p => Assert.Null(p.ExpectedFreeAt));
    }

    [Fact]
    public void Evaluate_ChargingWithoutMinutesToFull_UsesPlugInTimePlusTypicalDuration()
    {
        var points = new Dictionary<string, PointReading>
        {
            ["port_1_status"] = At(1, TimeSpan.FromMinutes(2)),
            ["port_1_charge_time"] = At(120, TimeSpan.FromMinutes(2)), // plugged in 122 minutes ago
        };

        var port = Assert.Single(ChargerAvailability.Evaluate(Shed(points), Options, Now).Ports);

        Assert.Equal(Now - TimeSpan.FromMinutes(122) + TimeSpan.FromHours(6), port.ExpectedFreeAt);
        Assert.Equal(ChargerAvailability.BasisTypicalDuration, port.ExpectedFreeBasis);
    }

    [Fact]
    public void Evaluate_EstimateInThePast_IsShownAsNow()
    {
        var points = new Dictionary<string, PointReading> { ["port_1_status"] = At(1, TimeSpan.FromHours(9)) };
        Assert.Equal(Now, Assert.Single(ChargerAvailability.Evaluate(Shed(points), Options, Now).Ports).ExpectedFreeAt);
    }

    [Theory]
    [InlineData("offline", "online", 1)]
    [InlineData("online", "offline", 1)]
    [InlineData("online", "online", 30)]
    public void Evaluate_OfflineOrStale_ShowsEveryPortUnknown_NeverFree(string deviceState, string gatewayState, int silentMinutes)
    {
        var view = ChargerAvailability.Evaluate(Shed(FourPorts(), deviceState, gatewayState, TimeSpan.FromMinutes(silentMinutes)), Options, Now);

        Assert.Contains(view.Status, new[] { "offline", "stale" });
        Assert.Null(view.Free);
        Assert.Equal(4, view.Total);
        Assert.All(view.Ports, p => Assert.Equal("unknown", p.State));
        Assert.StartsWith("unknown", view.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_ShedPowerCut_MakesFreePortsOutOfService()
    {
        var points = FourPorts();
        points["mains_ok"] = At(0, TimeSpan.FromMinutes(1));

        var view = ChargerAvailability.Evaluate(Shed(points), Options, Now);

        Assert.Equal(("power-cut", "mains power lost", 0), (view.Status, view.StatusReason, view.Free));
        Assert.Equal(["out_of_service", "charging", "finished", "fault"], view.Ports.Select(p => p.State));
    }

    [Fact]
    public void PortCount_WithoutPortCountPoint_IsTheHighestPortWithAStatus()
    {
        var points = new Dictionary<string, PointReading> { ["port_3_status"] = At(0, TimeSpan.Zero), ["port_12_status"] = At(4, TimeSpan.Zero), ["port_7_power"] = At(0, TimeSpan.Zero) };
        Assert.Equal(12, ChargerAvailability.PortCount(points));
        var view = ChargerAvailability.Evaluate(Shed(points), Options, Now);
        Assert.Equal(("unknown", "out_of_service"), (view.Ports[0].State, view.Ports[11].State));
    }
}
