using Facilities.FirmwareSim.Devices.Boiler;
using Facilities.FirmwareSim.Devices.ChargerShed;
using Facilities.Modbus.Protocol;

namespace Facilities.FirmwareSim.Tests;

public sealed class BoilerModelTests
{
    [Fact]
    public void Boiler_SettlesNearTheHeatingCurveSetpoint()
    {
        var boiler = ModelTestKit.Create("boiler");
        boiler.Run(ModelTestKit.Start, TimeSpan.FromHours(2));
        var v = boiler.Values();
        Assert.InRange(v["supply_temperature"], v["supply_setpoint"] - 6, v["supply_setpoint"] + 6);
        Assert.True(v["supply_temperature"] > v["return_temperature"]);
        Assert.Equal(20 + (1.8 * (20 - v["outdoor_temperature"])), v["supply_setpoint"], 0.2);
    }

    [Fact]
    public void Boiler_ColderOutside_HigherSetpoint()
    {
        var night = ModelTestKit.Create("boiler", new DateTimeOffset(2026, 1, 15, 21, 0, 0, TimeSpan.Zero)); // 05:00 local
        var afternoon = ModelTestKit.Create("boiler", new DateTimeOffset(2026, 1, 15, 7, 0, 0, TimeSpan.Zero)); // 15:00 local
        Assert.True(night.Value("outdoor_temperature") < afternoon.Value("outdoor_temperature"));
        Assert.True(night.Value("supply_setpoint") > afternoon.Value("supply_setpoint"));
    }

    [Fact]
    public void Lockout_StopsTheBurnerAndTheWaterCools()
    {
        var boiler = ModelTestKit.Create("boiler");
        var warm = boiler.Value("supply_temperature");
        boiler.Inject("lockout", ModelTestKit.Start);
        boiler.Run(ModelTestKit.Start, TimeSpan.FromMinutes(30));
        var v = boiler.Values();
        Assert.Equal((5.0, 1.0, 2.0, 0.0, 0.0), (v["burner_state"], v["lockout"], v["lockout_code"], v["flame"], v["firing_rate"]));
        Assert.True(v["supply_temperature"] < warm - 10, $"{warm} -> {v["supply_temperature"]}");
    }

    [Fact]
    public void SupplyTemperatureLow_FloorHeatingAtItsLowestSetpoint_StillFallsShortAndTheFlueRunsHot()
    {
        // A mild afternoon (outdoors +6 °C) on a floor-heating curve asks for 35 °C: the fouled exchanger cannot give
        // even that, and the heat it does not pass leaves with the flue gas.
        var afternoon = new DateTimeOffset(2026, 1, 15, 7, 0, 0, TimeSpan.Zero);
        var boiler = new BoilerModel(ModelTestKit.Identity(), new BoilerOptions { OutdoorMean = 6, OutdoorSwing = 0, CurveSlope = 1.0, MaxSupply = 60 }, afternoon);
        var now = boiler.Run(afternoon, TimeSpan.FromHours(1));
        var clean = boiler.Value("flue_temperature");
        boiler.Inject("supply-temperature-low", now);
        boiler.Run(now, TimeSpan.FromHours(1));
        var v = boiler.Values();
        Assert.Equal(35, v["supply_setpoint"], 1);
        Assert.Equal(100, v["firing_rate"]);
        Assert.True(v["supply_temperature"] < v["supply_setpoint"] - 4, $"supply {v["supply_temperature"]} setpoint {v["supply_setpoint"]}");
        Assert.True(v["flue_temperature"] > clean + 80, $"flue {clean} -> {v["flue_temperature"]}");
    }

    [Fact]
    public void Boiler_AfterALockout_SettlesWithoutShortCycling()
    {
        // The controller's proportional part damps the loop: once recovered, the burner modulates instead of cycling.
        var boiler = ModelTestKit.Create("boiler");
        boiler.Inject("lockout", ModelTestKit.Start);
        var now = boiler.Run(ModelTestKit.Start, TimeSpan.FromMinutes(40));
        boiler.Clear("lockout", now);
        now = boiler.Run(now, TimeSpan.FromHours(1));
        var starts = boiler.Value("burner_starts");
        boiler.Run(now, TimeSpan.FromHours(2));
        Assert.True(boiler.Value("burner_starts") - starts <= 1, $"{boiler.Value("burner_starts") - starts} starts in two hours");
    }

    [Fact]
    public void LowPressure_PressureFallsUnderOneBar()
    {
        var boiler = ModelTestKit.Create("boiler");
        boiler.Inject("low-pressure", ModelTestKit.Start);
        boiler.Run(ModelTestKit.Start, TimeSpan.FromMinutes(5));
        Assert.InRange(boiler.Value("pressure"), 0.5, 0.7);
    }

    [Theory]
    [InlineData(1.8, 85.0)]
    [InlineData(1.0, 60.0)]
    public void Overheating_SupplyClimbsPastTheSystemsMaximum(double slope, double maxSupply)
    {
        var boiler = new BoilerModel(ModelTestKit.Identity(), new BoilerOptions { CurveSlope = slope, MaxSupply = maxSupply }, ModelTestKit.Start);
        var now = boiler.Run(ModelTestKit.Start, TimeSpan.FromMinutes(30));
        boiler.Inject("overheating", now);
        boiler.Run(now, TimeSpan.FromMinutes(10));
        Assert.True(boiler.Value("supply_temperature") > maxSupply, $"supply {boiler.Value("supply_temperature")}");
        Assert.Equal(100, boiler.Value("firing_rate"));
    }

    [Fact]
    public void SupplyTemperatureLow_BurnerFlatOutButRadiatorsCold()
    {
        var boiler = ModelTestKit.Create("boiler");
        boiler.Inject("supply-temperature-low", ModelTestKit.Start);
        boiler.Run(ModelTestKit.Start, TimeSpan.FromHours(1));
        var v = boiler.Values();
        Assert.Equal(100, v["firing_rate"]);
        Assert.Equal(1, v["flame"]);
        Assert.True(v["supply_temperature"] < v["supply_setpoint"] - 15, $"supply {v["supply_temperature"]} setpoint {v["supply_setpoint"]}");
    }

    [Fact]
    public void Boiler_HealthyOverADay_HoldsTheReferenceRoomNear20()
    {
        var boiler = ModelTestKit.Create("boiler");
        var now = ModelTestKit.Start;
        for (var hour = 0; hour < 24; hour++)
        {
            now = boiler.Run(now, TimeSpan.FromHours(1));
            var room = boiler.Value("room_temperature");
            Assert.InRange(room, 18.5, 22.5);
        }
    }

    [Fact]
    public void SupplyTemperatureLow_TheCloudsConditionHoldsLongBeforeTheRoomDropsUnder18()
    {
        // The default rule boiler.supply-low-while-burning: supply < 55 °C while the burner is on, for 3 minutes.
        var boiler = ModelTestKit.Create("boiler");
        var start = boiler.Run(ModelTestKit.Start, TimeSpan.FromHours(1));
        Assert.InRange(boiler.Value("room_temperature"), 19, 21);
        boiler.Inject("supply-temperature-low", start);
        DateTimeOffset? lowSince = null, alertAt = null, coldAt = null;
        var now = start;
        while (coldAt is null && now < start + TimeSpan.FromHours(6))
        {
            now = boiler.Run(now, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
            var low = boiler.Value("supply_temperature") < 55 && boiler.Value("burner_on") == 1;
            lowSince = low ? lowSince ?? now : null;
            if (alertAt is null && lowSince is { } since && now - since >= TimeSpan.FromMinutes(3))
            {
                alertAt = now;
            }

            if (boiler.Value("room_temperature") < 18)
            {
                coldAt = now;
            }
        }

        Assert.NotNull(alertAt);
        Assert.NotNull(coldAt);
        Assert.True(alertAt - start < TimeSpan.FromMinutes(10), $"condition held for 3 min only after {alertAt - start}");
        Assert.True(coldAt - alertAt > TimeSpan.FromMinutes(20), $"alert at {alertAt - start}, room under 18 °C at {coldAt - start}");
        Assert.True(coldAt - start < TimeSpan.FromHours(3), $"room under 18 °C only after {coldAt - start}");
    }

    [Fact]
    public void EnabledCoilWrittenOff_StopsTheBurner()
    {
        var boiler = ModelTestKit.Create("boiler");
        Assert.Equal(ModbusExceptionCode.None, boiler.Store.WriteCoils(0, [false]));
        boiler.Run(ModelTestKit.Start, TimeSpan.FromMinutes(1));
        Assert.Equal((0.0, 0.0), (boiler.Value("burner_state"), boiler.Value("enabled")));
    }
}

public sealed class ChargerShedModelTests
{
    [Fact]
    public void Shed_AnEveningAndNight_ChargesFinishesAndFreesPorts()
    {
        var shed = new ChargerShedModel(ModelTestKit.Identity(), new ChargerShedOptions { Ports = 8, Demand = 4 }, ModelTestKit.Start);
        var seen = new HashSet<double>();
        var now = ModelTestKit.Start;
        var energyBefore = shed.Value("energy_total");
        for (var i = 0; i < 24 * 6; i++)
        {
            now = shed.Run(now, TimeSpan.FromMinutes(10), TimeSpan.FromSeconds(30));
            foreach (var port in Enumerable.Range(1, 8))
            {
                seen.Add(shed.Value(ChargerShedMap.PortPoint(port, "status")));
            }
        }

        Assert.Superset(new HashSet<double> { 0, 1, 2 }, seen);
        Assert.True(shed.Value("energy_total") > energyBefore + 1, "energy delivered");
        Assert.Equal(Enumerable.Range(1, 8).Count(p => shed.Value(ChargerShedMap.PortPoint(p, "status")) == 0), shed.Value("free_ports"));
    }

    [Fact]
    public void ChargeEndsWhenFull_WithStopReasonFull()
    {
        var shed = new ChargerShedModel(ModelTestKit.Identity(), new ChargerShedOptions { Ports = 10, Demand = 0 }, ModelTestKit.Start);
        var charging = Enumerable.Range(1, 10).Where(p => shed.Value(ChargerShedMap.PortPoint(p, "status")) == 1).ToList();
        Assert.NotEmpty(charging);
        shed.Run(ModelTestKit.Start, TimeSpan.FromHours(6), TimeSpan.FromSeconds(30));
        Assert.All(charging, p =>
        {
            Assert.NotEqual(1, shed.Value(ChargerShedMap.PortPoint(p, "status")));
            Assert.True(shed.Value(ChargerShedMap.PortPoint(p, "energy")) > 300);
        });
        Assert.Contains(charging, p => shed.Value(ChargerShedMap.PortPoint(p, "stop_reason")) == 1);
    }

    [Fact]
    public void PlugIn_TakesOnlyAFreePort_AndStartsCharging()
    {
        var shed = new ChargerShedModel(ModelTestKit.Identity(), new ChargerShedOptions { Ports = 10, Demand = 0 }, ModelTestKit.Start);
        var free = Enumerable.Range(1, 10).First(p => shed.Value(ChargerShedMap.PortPoint(p, "status")) == 0);
        var before = shed.Value("free_ports");

        Assert.True(shed.PlugIn(free, ModelTestKit.Start.AddSeconds(1)));
        Assert.Equal(1, shed.Value(ChargerShedMap.PortPoint(free, "status")));
        Assert.True(shed.Value(ChargerShedMap.PortPoint(free, "minutes_to_full")) > 0);
        Assert.Equal(before - 1, shed.Value("free_ports"));
        Assert.False(shed.PlugIn(free, ModelTestKit.Start.AddSeconds(2)));
        shed.Inject("smoke", ModelTestKit.Start.AddSeconds(3));
        var other = Enumerable.Range(1, 10).First(p => shed.Value(ChargerShedMap.PortPoint(p, "status")) == 0 || p == 10);
        Assert.False(shed.PlugIn(other, ModelTestKit.Start.AddSeconds(4)));
    }

    [Fact]
    public void PortOvercurrent_StopsOnlyThatPort()
    {
        var shed = ModelTestKit.Create("charger-shed");
        Assert.True(shed.Inject("port-overcurrent:3", ModelTestKit.Start));
        var v = shed.Values();
        Assert.Equal((3.0, 1.0, 3.0, 0.0), (v["port_3_status"], v["port_3_fault_code"], v["port_3_stop_reason"], v["port_3_power"]));
        Assert.Equal(0, v["port_1_fault_code"]);
    }

    [Fact]
    public void PortFaultWithoutPortOrOutOfRange_IsRejected()
    {
        var shed = ModelTestKit.Create("charger-shed");
        Assert.False(shed.Inject("port-overcurrent", ModelTestKit.Start));
        Assert.False(shed.Inject("port-overcurrent:9", ModelTestKit.Start));
        Assert.False(shed.Inject("smoke:1", ModelTestKit.Start));
    }

    [Fact]
    public void Smoke_CutsPowerToEveryPort()
    {
        var shed = new ChargerShedModel(ModelTestKit.Identity(), new ChargerShedOptions { Ports = 10 }, ModelTestKit.Start);
        shed.Inject("smoke", ModelTestKit.Start);
        var v = shed.Values();
        Assert.Equal((1.0, 1.0), (v["smoke"], v["power_cut_off"]));
        Assert.All(Enumerable.Range(1, 10), p => Assert.Equal(0, v[ChargerShedMap.PortPoint(p, "power")]));
    }

    [Fact]
    public void PortTakenOutOfServiceByCoil_ShowsOutOfService()
    {
        var shed = new ChargerShedModel(ModelTestKit.Identity(), new ChargerShedOptions { Ports = 10, Demand = 0 }, ModelTestKit.Start);
        var free = Enumerable.Range(1, 10).First(p => shed.Value(ChargerShedMap.PortPoint(p, "status")) == 0);
        shed.Store.WriteCoils((ushort)(free - 1), [false]);
        shed.Run(ModelTestKit.Start, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(1));
        Assert.Equal(4, shed.Value(ChargerShedMap.PortPoint(free, "status")));
    }
}

public sealed class AedCabinetModelTests
{
    [Fact]
    public void AedRemoved_DoorOpenAbsentAlarmInUse()
    {
        var aed = ModelTestKit.Create("aed-cabinet");
        aed.Inject("aed-removed", ModelTestKit.Start);
        var v = aed.Values();
        Assert.Equal((1.0, 0.0, 1.0, 3.0), (v["door_open"], v["aed_present"], v["alarm_active"], v["readiness"]));
    }

    [Fact]
    public void PadsExpiring_DateTwentyDaysAhead()
    {
        var aed = ModelTestKit.Create("aed-cabinet");
        aed.Inject("pads-expiring", ModelTestKit.Start);
        var local = ModelTestKit.Start.ToOffset(TimeSpan.FromHours(8)).AddDays(20);
        Assert.Equal((local.Year * 10000) + (local.Month * 100) + local.Day, aed.Value("pads_expiry"));
        Assert.Equal(1, aed.Value("readiness"));
    }

    [Fact]
    public void OutdoorCabinet_HeaterKeepsItAboveFreezing()
    {
        var aed = ModelTestKit.Create("aed-cabinet");
        aed.Run(ModelTestKit.Start, TimeSpan.FromDays(2), TimeSpan.FromMinutes(1));
        Assert.True(aed.Value("temperature") > 3, $"{aed.Value("temperature")} °C");
        Assert.True(aed.Value("last_self_test") >= ModelTestKit.Start.AddDays(1).ToUnixTimeSeconds());
    }
}
