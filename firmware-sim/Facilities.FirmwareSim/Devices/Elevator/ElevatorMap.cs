using Facilities.FirmwareSim.Maps;
using Facilities.Modbus.Protocol;

namespace Facilities.FirmwareSim.Devices.Elevator;

/// <summary>The elevator controller's register map, laid out like an elevator IoT collector's (GB/T 24476 items).</summary>
public static class ElevatorMap
{
    public const int HistoryEntries = 8;
    public const ushort HistoryBase = 20;

    public static readonly IReadOnlyDictionary<int, string> ServiceModes = new Dictionary<int, string>
    {
        [0] = "normal", [1] = "inspection", [2] = "fire return", [3] = "firefighter", [4] = "emergency power", [5] = "out of service",
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
            RegisterPoint.StatusBit(RegisterTable.InputRegisters, "fault_active", 6, "A fault is active (see fault_code)."),
            RegisterPoint.StatusBit(RegisterTable.InputRegisters, "alarm_button", 7, "Passenger alarm button pressed."),
            RegisterPoint.StatusBit(RegisterTable.InputRegisters, "position_valid", 8, "Floor position is known; 0 after a position loss until a correction run."),
            new() { Name = "service_mode", Table = input, Address = 1, Type = PointType.UInt16, Labels = ServiceModes, Meaning = "Service mode." },
            new() { Name = "floor", Table = input, Address = 2, Type = PointType.Int16, Meaning = "Current floor (nearest floor while moving; basements negative)." },
            new() { Name = "direction", Table = input, Address = 3, Type = PointType.UInt16, Labels = Directions, Meaning = "Direction of travel." },
            new() { Name = "door_state", Table = input, Address = 4, Type = PointType.UInt16, Labels = DoorStates, Meaning = "Car door state." },
            new() { Name = "speed", Table = input, Address = 5, Type = PointType.UInt16, Scale = 0.01, Unit = "m/s", Meaning = "Car speed." },
            new() { Name = "fault_code", Table = input, Address = 6, Type = PointType.UInt16, Labels = FaultCodes, Meaning = "Current fault (the most serious active one); 0 when none." },
            new() { Name = "load", Table = input, Address = 7, Type = PointType.UInt16, Unit = "%", Meaning = "Car load as a share of rated load." },
            new() { Name = "trips", Table = input, Address = 8, Type = PointType.UInt32, Meaning = "Trip (start) counter since commissioning." },
            new() { Name = "door_cycles", Table = input, Address = 10, Type = PointType.UInt32, Meaning = "Door open/close cycles since commissioning." },
            new() { Name = "running_hours", Table = input, Address = 12, Type = PointType.UInt32, Scale = 0.1, Unit = "h", Meaning = "Motor running time." },
            new() { Name = "rated_speed", Table = input, Address = 14, Type = PointType.UInt16, Scale = 0.01, Unit = "m/s", Meaning = "Rated (contract) speed." },
            new() { Name = "top_floor", Table = input, Address = 15, Type = PointType.Int16, Meaning = "Highest served floor." },
            new() { Name = "bottom_floor", Table = input, Address = 16, Type = PointType.Int16, Meaning = "Lowest served floor." },
        ];
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
            "The status word at input register 0 carries bit fields. Fault codes are this simulator's numbering of the faults " +
            "named in the domain brief; real collectors use vendor or regulator codes, which a gateway profile maps by name.",
            points);
    }
}

/// <summary>The elevator faults the simulator can show, in fault-code order (most serious first).</summary>
public static class ElevatorFaults
{
    public static readonly IReadOnlyList<FaultInfo> All =
    [
        new("trapped-at-floor", "Car stopped at a floor, doors shut, occupied: passenger trapped at floor."),
        new("trapped-between-floors", "Car stopped between floors, occupied: passenger trapped between floors."),
        new("stopped-outside-door-zone", "Car stopped outside the door zone, empty."),
        new("door-open-while-moving", "Car moves with its door open (unintended car movement)."),
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
        new("inspection-mode", "Maintenance: service mode inspection; faults during it are expected."),
    ];

    /// <summary>The fault code for a fault name; 0 for faults that have none (inspection mode).</summary>
    public static int Code(string name) => name == "inspection-mode" ? 0 : All.Select(f => f.Name).ToList().IndexOf(name) + 1;
}
