using Facilities.FirmwareSim.Devices.Elevator;

namespace Facilities.FirmwareSim.Tests;

public sealed class ElevatorModelTests
{
    [Fact]
    public void Elevator_AnHourOfCalls_MovesAndCounts()
    {
        var lift = ModelTestKit.Create("elevator");
        var before = lift.Values();
        var floors = new HashSet<double>();
        var now = ModelTestKit.Start;
        for (var i = 0; i < 360; i++)
        {
            now = lift.Run(now, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(1));
            floors.Add(lift.Value("floor"));
        }

        var after = lift.Values();
        Assert.True(after["trips"] > before["trips"] + 10, $"trips {before["trips"]} -> {after["trips"]}");
        Assert.True(after["door_cycles"] > before["door_cycles"] + 10);
        Assert.True(after["running_hours"] > before["running_hours"]);
        Assert.True(floors.Count > 5, $"visited {floors.Count} floors");
        Assert.All(floors, f => Assert.InRange(f, -1, 18));
        Assert.Equal(0, after["fault_code"]);
    }

    [Fact]
    public void Elevator_RemoteCallRegister_BringsTheCar()
    {
        var lift = new ElevatorModel(ModelTestKit.Identity(), new ElevatorOptions { CallsPerHour = 0 }, ModelTestKit.Start);
        lift.Store.WriteHoldingRegisters(100, [12]);
        var floors = new List<double>();
        var now = ModelTestKit.Start;
        for (var i = 0; i < 60; i++)
        {
            now = lift.Run(now, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
            floors.Add(lift.Value("floor"));
        }

        Assert.Equal(12, lift.Value("call_floor"));
        Assert.Contains(12.0, floors);
        Assert.True(floors[0] < 12, "the car starts below the call");
    }

    [Fact]
    public void DoorOpenWhileMoving_Cleared_CarLevelsAtAFloorAndKeepsRunning()
    {
        // Found by the cloud's every-fault test: after this fault cleared the car moved without a call and the model threw.
        var lift = new ElevatorModel(ModelTestKit.Identity(), new ElevatorOptions { CallsPerHour = 0 }, ModelTestKit.Start);
        var now = ModelTestKit.Start.AddSeconds(1);
        lift.Inject("door-open-while-moving", now);
        now = lift.Run(now, TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(250));
        Assert.Equal(1, lift.Value("moving"));
        lift.Clear("door-open-while-moving", now);
        now = lift.Run(now, TimeSpan.FromMinutes(1), TimeSpan.FromMilliseconds(250));
        Assert.Equal((0.0, 1.0), (lift.Value("moving"), lift.Value("door_zone")));
        Assert.Equal(Math.Round(lift.Value("floor")), lift.Value("floor"));
    }

    [Fact]
    public void TrappedAtFloor_ShowsTheTrapAndRecordsHistory()
    {
        var lift = ModelTestKit.Create("elevator");
        var at = ModelTestKit.Start.AddSeconds(30);
        lift.Inject("trapped-at-floor", at);
        lift.Run(at, TimeSpan.FromMinutes(5));
        var v = lift.Values();
        Assert.Equal(ElevatorFaults.Code("trapped-at-floor"), v["fault_code"]);
        Assert.Equal((1.0, 1.0, 0.0, 0.0, 0.0, 1.0), (v["occupied"], v["door_zone"], v["door_state"], v["moving"], v["speed"], v["fault_active"]));
        Assert.Equal(v["fault_code"], v["history_1_code"]);
        Assert.Equal(at.ToUnixTimeSeconds(), v["history_1_time"]);
    }

    [Fact]
    public void TrappedBetweenFloors_IsOutsideTheDoorZone()
    {
        var lift = ModelTestKit.Create("elevator");
        lift.Inject("trapped-between-floors", ModelTestKit.Start);
        var v = lift.Values();
        Assert.Equal((0.0, 1.0, 2.0), (v["door_zone"], v["occupied"], v["fault_code"]));
    }

    [Fact]
    public void Overspeed_ReportsAboveOnePointTwoTimesRated()
    {
        var lift = ModelTestKit.Create("elevator");
        lift.Inject("overspeed", ModelTestKit.Start);
        var v = lift.Values();
        Assert.True(v["speed"] > 1.2 * v["rated_speed"], $"speed {v["speed"]} rated {v["rated_speed"]}");
        Assert.Equal(0, v["safety_circuit_closed"]);
    }

    [Fact]
    public void MainsLost_RunsOnBatteryInEmergencyPowerMode()
    {
        var lift = ModelTestKit.Create("elevator");
        lift.Inject("mains-power-lost", ModelTestKit.Start);
        var v = lift.Values();
        Assert.Equal((1.0, 4.0, 1.0), (v["on_battery"], v["service_mode"], v["door_zone"]));
    }

    [Fact]
    public void InspectionMode_SetsServiceModeWithoutFaultCode()
    {
        var lift = ModelTestKit.Create("elevator");
        lift.Inject("inspection-mode", ModelTestKit.Start);
        lift.Inject("door-lock-open", ModelTestKit.Start);
        var v = lift.Values();
        Assert.Equal((1.0, 9.0, 0.0), (v["service_mode"], v["fault_code"], v["door_lock_closed"]));
    }

    [Fact]
    public void ClearingTheLastFault_ResetsTheCodeButKeepsHistory()
    {
        var lift = ModelTestKit.Create("elevator");
        lift.Inject("passenger-alarm", ModelTestKit.Start);
        lift.Clear("passenger-alarm", ModelTestKit.Start.AddMinutes(1));
        var v = lift.Values();
        Assert.Equal((0.0, 0.0, 16.0), (v["fault_code"], v["alarm_button"], v["history_1_code"]));
    }

    [Fact]
    public void FaultHistory_KeepsTheNewestEight()
    {
        var lift = ModelTestKit.Create("elevator");
        var now = ModelTestKit.Start;
        for (var i = 0; i < 10; i++)
        {
            now = now.AddMinutes(1);
            lift.Inject("passenger-alarm", now);
            lift.Clear("passenger-alarm", now);
        }

        var v = lift.Values();
        Assert.Equal(now.ToUnixTimeSeconds(), v["history_1_time"]);
        Assert.Equal(now.AddMinutes(-7).ToUnixTimeSeconds(), v["history_8_time"]);
    }

    [Fact]
    public void FaultWord_SeveralFaultsAtOnce_EachHasItsBit()
    {
        var lift = ModelTestKit.Create("elevator");
        lift.Inject("trapped-at-floor", ModelTestKit.Start);
        lift.Inject("door-lock-open", ModelTestKit.Start);
        lift.Inject("landing-button-stuck", ModelTestKit.Start);
        var v = lift.Values();
        Assert.Equal((1.0, 1.0, 1.0), (v["fault_trapped_at_floor"], v["fault_door_lock_open"], v["fault_landing_button_stuck"]));
        Assert.Equal(0, v["fault_overspeed"]);
        // The whole register: bits 0 (trapped at floor), 9 (door lock) and 14 (landing button).
        Assert.Equal((1 << 0) | (1 << 9) | (1 << 14), lift.Store.Get(Facilities.Modbus.Protocol.RegisterTable.InputRegisters, ElevatorMap.FaultWordAddress));
        // The legacy code still shows only the lowest one.
        Assert.Equal(ElevatorFaults.Code("trapped-at-floor"), v["fault_code"]);
    }

    [Fact]
    public void FaultWord_OneFaultCleared_OthersStay()
    {
        var lift = ModelTestKit.Create("elevator");
        lift.Inject("safety-circuit-open", ModelTestKit.Start);
        lift.Inject("floor-position-lost", ModelTestKit.Start);
        lift.Clear("safety-circuit-open", ModelTestKit.Start.AddSeconds(5));
        var v = lift.Values();
        Assert.Equal((0.0, 1.0), (v["fault_safety_circuit_open"], v["fault_floor_position_lost"]));
    }

    [Fact]
    public void EventWord_AlarmDuringInspectionAndEarthquake_ShowsAllThree()
    {
        var lift = ModelTestKit.Create("elevator");
        lift.Inject("inspection-mode", ModelTestKit.Start);
        lift.Inject("earthquake-mode", ModelTestKit.Start);
        lift.Inject("passenger-alarm", ModelTestKit.Start);
        var v = lift.Values();
        Assert.Equal((1.0, 1.0, 1.0, 1.0), (v["event_inspection"], v["event_earthquake"], v["event_alarm_button"], v["alarm_button"]));
        Assert.Equal(6.0, v["service_mode"]);
        Assert.Equal(0.0, v["event_fire_return"]);
    }

    [Fact]
    public void UnintendedCarMovement_StopsOutsideTheDoorZoneWithDoorsOpen_NotTheDoorOpenWhileMovingFault()
    {
        var lift = new ElevatorModel(ModelTestKit.Identity(), new ElevatorOptions { CallsPerHour = 0 }, ModelTestKit.Start);
        lift.Inject("unintended-car-movement", ModelTestKit.Start);
        var now = lift.Run(ModelTestKit.Start, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(1));
        var v = lift.Values();
        Assert.Equal((1.0, 0.0), (v["fault_unintended_car_movement"], v["fault_door_open_while_moving"]));
        Assert.Equal((0.0, 0.0, 2.0, 0.0), (v["moving"], v["door_zone"], v["door_state"], v["safety_circuit_closed"]));
        Assert.Equal(ElevatorFaults.Code("unintended-car-movement"), v["history_1_code"]);
        lift.Clear("unintended-car-movement", now);
        Assert.Equal((0.0, 1.0), (lift.Value("fault_unintended_car_movement"), lift.Value("door_zone")));
    }

    [Fact]
    public void OtherFaultPreventingRestart_HoldsTheCar()
    {
        var lift = new ElevatorModel(ModelTestKit.Identity(), new ElevatorOptions { CallsPerHour = 0 }, ModelTestKit.Start);
        lift.Inject("other-fault-preventing-restart", ModelTestKit.Start);
        lift.Call(10);
        lift.Run(ModelTestKit.Start, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(1));
        Assert.Equal((1.0, 0.0, 0.0), (lift.Value("fault_other_fault_preventing_restart"), lift.Value("moving"), lift.Value("floor")));
    }
}
