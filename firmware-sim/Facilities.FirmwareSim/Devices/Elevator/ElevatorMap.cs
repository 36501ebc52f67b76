using Facilities.FirmwareSim.Maps;
using Facilities.Modbus.Protocol;

namespace Facilities.FirmwareSim.Devices.Elevator;

/// <summary>The elevator controller's register map, laid out like an elevator IoT collector's (GB/T 24476 items).</summary>
public static class ElevatorMap
{
    public const int HistoryEntries = 8;
    public const ushort HistoryBase = 20;

    /// <summary>Input register holding one bit per active fault (<see cref="ElevatorFaults.FaultWord"/>).</summary>
    public const ushort FaultWordAddress = 17;

    /// <summary>Input register holding one bit per active event or operating mode (<see cref="ElevatorFaults.EventWord"/>).</summary>
    public const ushort EventWordAddress = 18;

    public static readonly IReadOnlyDictionary<int, string> ServiceModes = new Dictionary<int, string>
    {
        [0] = "normal", [1] = "inspection", [2] = "fire return", [3] = "firefighter", [4] = "emergency power", [5] = "out of service", [6] = "earthquake",
    };

    public static readonly IReadOnlyDictionary<int, string> Directions = new Dictionary<int, string> { [0] = "stopped", [1] = "up", [2] = "down" };

    public static readonly IReadOnlyDictionary<int, string> DoorStates = new Dictionary<int, string>
    {
        [0] = "closed", [1] = "opening", [2] = "open", [3] = "closing",
    };

    public static readonly IReadOnlyDictionary<int, string> FaultCodes = ElevatorFaults.All
        .Where(f => ElevatorFaults.Code(f.Name) > 0)
        .Select(f => (Code: ElevatorFaults.Code(f.Name), f.Name))
        .Prepend((Code: 0, Name: "none"))
        .ToDictionary(x => x.Code, x => x.Name);

    /// <summary>The legacy fault_code register's labels: codes 1–16 only, frozen so existing collectors' enums stay right.</summary>
    public static readonly IReadOnlyDictionary<int, string> LegacyFaultCodes = FaultCodes
        .Where(c => c.Key <= ElevatorFaults.LegacyCodes)
        .ToDictionary(c => c.Key, c => c.Value);

    public static RegisterMap Map { get; } = Build();

    private static RegisterMap Build()
    {
        var input = RegisterTable.InputRegisters;
        List<RegisterPoint> points =
        [
            RegisterPoint.StatusBit(RegisterTable.InputRegisters, "door_zone", 0, "Car is levelled within the door zone of a floor."),
            RegisterPoint.StatusBit(RegisterTable.InputRegisters, "occupied", 1, "Car is occupied (load or light-curtain detection)."),
            RegisterPoint.StatusBit(RegisterTable.InputRegisters, "safety_circuit_closed", 2, "Safety chain is closed; 0 means the chain is open and the car cannot run."),
            RegisterPoint.StatusBit(RegisterTable.InputRegisters, "door_lock_closed", 3, "Landing and car door locks are made."),
            RegisterPoint.StatusBit(RegisterTable.InputRegisters, "on_battery", 4, "Controller runs on the emergency battery (mains lost)."),
            RegisterPoint.StatusBit(RegisterTable.InputRegisters, "moving", 5, "Car is in motion."),
            RegisterPoint.StatusBit(RegisterTable.InputRegisters, "fault_active", 6, "A fault is active (see the fault word, register 17)."),
            RegisterPoint.StatusBit(RegisterTable.InputRegisters, "alarm_button", 7, "Passenger alarm button pressed."),
            RegisterPoint.StatusBit(RegisterTable.InputRegisters, "position_valid", 8, "Floor position is known; 0 after a position loss until a correction run."),
            new() { Name = "service_mode", Table = input, Address = 1, Type = PointType.UInt16, Labels = ServiceModes, Meaning = "Service mode." },
            new() { Name = "floor", Table = input, Address = 2, Type = PointType.Int16, Meaning = "Current floor (nearest floor while moving; basements negative)." },
            new() { Name = "direction", Table = input, Address = 3, Type = PointType.UInt16, Labels = Directions, Meaning = "Direction of travel." },
            new() { Name = "door_state", Table = input, Address = 4, Type = PointType.UInt16, Labels = DoorStates, Meaning = "Car door state." },
            new() { Name = "speed", Table = input, Address = 5, Type = PointType.UInt16, Scale = 0.01, Unit = "m/s", Meaning = "Car speed." },
            new() { Name = "fault_code", Table = input, Address = 6, Type = PointType.UInt16, Labels = LegacyFaultCodes, Meaning = "Legacy single fault code: the lowest active code of 1–16 only, so it hides every other active fault, and faults added since (codes 17 and up) never show here; 0 when none. Kept unchanged for existing collectors; read the fault word (register 17) instead." },
            new() { Name = "load", Table = input, Address = 7, Type = PointType.UInt16, Unit = "%", Meaning = "Car load as a share of rated load." },
            new() { Name = "trips", Table = input, Address = 8, Type = PointType.UInt32, Meaning = "Trip (start) counter since commissioning." },
            new() { Name = "door_cycles", Table = input, Address = 10, Type = PointType.UInt32, Meaning = "Door open/close cycles since commissioning." },
            new() { Name = "running_hours", Table = input, Address = 12, Type = PointType.UInt32, Scale = 0.1, Unit = "h", Meaning = "Motor running time." },
            new() { Name = "rated_speed", Table = input, Address = 14, Type = PointType.UInt16, Scale = 0.01, Unit = "m/s", Meaning = "Rated (contract) speed." },
            new() { Name = "top_floor", Table = input, Address = 15, Type = PointType.Int16, Meaning = "Highest served floor." },
            new() { Name = "bottom_floor", Table = input, Address = 16, Type = PointType.Int16, Meaning = "Lowest served floor." },
        ];
        for (var bit = 0; bit < ElevatorFaults.FaultWord.Count; bit++)
        {
            var (point, fault) = ElevatorFaults.FaultWord[bit];
            points.Add(new() { Name = point, Table = input, Address = FaultWordAddress, Type = PointType.Bit, Bit = bit, Meaning = $"Fault word bit {bit}: {ElevatorFaults.Describe(fault)}" });
        }

        for (var bit = 0; bit < ElevatorFaults.EventWord.Count; bit++)
        {
            var (point, meaning) = ElevatorFaults.EventWord[bit];
            points.Add(new() { Name = point, Table = input, Address = EventWordAddress, Type = PointType.Bit, Bit = bit, Meaning = $"Event word bit {bit}: {meaning}" });
        }

        for (var i = 0; i < HistoryEntries; i++)
        {
            var address = (ushort)(HistoryBase + (3 * i));
            points.Add(new() { Name = $"history_{i + 1}_code", Table = input, Address = address, Type = PointType.UInt16, Labels = FaultCodes, Meaning = $"Fault history entry {i + 1} (1 = newest): fault code; 0 = empty." });
            points.Add(new() { Name = $"history_{i + 1}_time", Table = input, Address = (ushort)(address + 1), Type = PointType.UInt32, Unit = "s", Meaning = $"Fault history entry {i + 1}: when it was raised, Unix time (UTC seconds)." });
        }

        points.Add(new() { Name = "call_floor", Table = RegisterTable.HoldingRegisters, Address = 100, Type = PointType.Int16, Writable = true, Meaning = "Write a floor number to register a car call (remote call); reads back the last call." });

        return new RegisterMap(
            "elevator",
            "Elevator controller",
            "Status items and counters are input registers (function 04); 32-bit counters are two registers, high word first. " +
            "The status word at input register 0 carries bit fields. Several faults can be active at once: the fault word at " +
            "input register 17 has one bit per fault and the event word at input register 18 one bit per event or operating " +
            "mode, so no fault hides another (the single fault_code at register 6 shows only the lowest active code and is kept " +
            "for existing collectors). Fault names follow GB/T 24476-2023 and common elevator IoT practice; fault codes are this " +
            "simulator's numbering, which real collectors replace with vendor or regulator codes that a gateway profile maps by name.",
            points);
    }
}

/// <summary>
/// The elevator faults and events the simulator can show. The first <see cref="CodedFaults"/> have a legacy fault code
/// (their position + 1; codes 1–16 keep their old numbers, later faults are appended); the rest are events and
/// operating modes that show in the event word and the service mode only.
/// </summary>
public static class ElevatorFaults
{
    public const int CodedFaults = 18;

    /// <summary>Codes the legacy fault_code register can show (1–16, as before the fault word).</summary>
    public const int LegacyCodes = 16;

    public static readonly IReadOnlyList<FaultInfo> All =
    [
        new("trapped-at-floor", "Car stopped at a floor, doors shut, occupied: passenger trapped at floor."),
        new("trapped-between-floors", "Car stopped between floors, occupied: passenger trapped between floors."),
        new("stopped-outside-door-zone", "Car stopped outside the door (unlocking) zone, empty."),
        new("door-open-while-moving", "A door opened while the car was running; the car creeps on with its door open."),
        new("overspeed", "Car runs above 1.2 x rated speed."),
        new("overtravel-top", "Car has run past the top terminal floor; the safety chain opens."),
        new("overtravel-bottom", "Car has run past the bottom terminal floor; the safety chain opens."),
        new("safety-circuit-open", "Safety chain open: car stops and cannot run."),
        new("door-lock-open", "Door-lock circuit open: car stops."),
        new("door-fails-to-open", "Car at a floor, door stays shut."),
        new("door-fails-to-close", "Door stays open; car cannot leave."),
        new("floor-position-lost", "Controller lost the car position."),
        new("motor-runtime-limiter", "Motor run-time limiter tripped: car stops."),
        new("mains-power-lost", "Mains lost: controller on battery, emergency power mode, car stops at the nearest floor."),
        new("landing-button-stuck", "A landing button is stuck: the car keeps being called to one floor."),
        new("passenger-alarm", "Passenger pressed the alarm button."),
        new("unintended-car-movement", "Car left the landing at standstill with its doors open; the UCM protection stopped it outside the door zone and opened the safety chain."),
        new("other-fault-preventing-restart", "Another fault the controller names only as such: the car stops and will not restart."),
        new("inspection-mode", "Maintenance: service mode inspection; faults during it are expected."),
        new("out-of-service", "Taken out of service (key switch or remote): car parks with doors shut, answers no calls."),
        new("fire-return", "Fire alarm recall: the car returns to the main floor and parks with doors open."),
        new("firefighter-mode", "Firefighter operation: the car answers only the firefighter's car calls."),
        new("earthquake-mode", "Seismic sensor tripped: the car stops at the nearest floor, opens its doors and stays out of service."),
    ];

    /// <summary>Fault word (input register 17): bit → (point, fault). One bit per fault, so several show at once.</summary>
    public static readonly IReadOnlyList<(string Point, string Fault)> FaultWord =
    [
        .. new[]
        {
            "trapped-at-floor", "trapped-between-floors", "stopped-outside-door-zone", "door-open-while-moving", "unintended-car-movement",
            "overspeed", "overtravel-top", "overtravel-bottom", "safety-circuit-open", "door-lock-open", "door-fails-to-open",
            "door-fails-to-close", "floor-position-lost", "motor-runtime-limiter", "landing-button-stuck", "other-fault-preventing-restart",
        }.Select(f => ("fault_" + f.Replace('-', '_'), f)),
    ];

    /// <summary>Event word (input register 18): bit → (point, meaning). Events and operating modes, several at once.</summary>
    public static readonly IReadOnlyList<(string Point, string Meaning)> EventWord =
    [
        ("event_mains_power_lost", "Mains power lost (controller on battery)."),
        ("event_out_of_service", "Out of service."),
        ("event_inspection", "Inspection/maintenance operation (检修)."),
        ("event_fire_return", "Fire alarm recall (消防返回)."),
        ("event_firefighter", "Firefighter operation (消防员操作)."),
        ("event_emergency_power", "Running on emergency power."),
        ("event_earthquake", "Earthquake operation (地震管制)."),
        ("event_alarm_button", "Passenger alarm button pressed (the same signal as status bit 7)."),
    ];

    /// <summary>The fault code for a fault name; 0 for events and modes, which have none.</summary>
    public static int Code(string name)
    {
        for (var i = 0; i < CodedFaults; i++)
        {
            if (All[i].Name == name)
            {
                return i + 1;
            }
        }

        return 0;
    }

    /// <summary>What a fault means, from <see cref="All"/>.</summary>
    public static string Describe(string name) => All.First(f => f.Name == name).Description;
}
