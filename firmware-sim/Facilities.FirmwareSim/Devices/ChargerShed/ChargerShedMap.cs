using Facilities.FirmwareSim.Maps;
using Facilities.Modbus.Protocol;

namespace Facilities.FirmwareSim.Devices.ChargerShed;

/// <summary>The e-bike charger shed map: shed values first, then one 10-register block per port.</summary>
public static class ChargerShedMap
{
    public const ushort PortBase = 100;
    public const ushort PortStride = 10;
    public const int MaxPorts = 40;

    public static readonly IReadOnlyDictionary<int, string> PortStatuses = new Dictionary<int, string>
    {
        [0] = "free", [1] = "charging", [2] = "finished, waiting for removal", [3] = "fault", [4] = "out of service",
    };

    public static readonly IReadOnlyDictionary<int, string> StopReasons = new Dictionary<int, string>
    {
        [0] = "none", [1] = "full", [2] = "unplugged", [3] = "overcurrent", [4] = "over-temperature", [5] = "smoke cut-off",
        [6] = "mains lost", [7] = "out of service", [8] = "abnormal load",
    };

    public static readonly IReadOnlyDictionary<int, string> PortFaults = new Dictionary<int, string>
    {
        [0] = "none", [1] = "overcurrent", [2] = "over-temperature", [3] = "abnormal load (power strip or overlong charge)",
    };

    private static readonly Dictionary<int, RegisterMap> Maps = [];

    public static string PortPoint(int port, string name) => $"port_{port}_{name}";

    /// <summary>The map of a shed with <paramref name="ports"/> ports.</summary>
    public static RegisterMap For(int ports)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(ports, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(ports, MaxPorts);
        lock (Maps)
        {
            if (!Maps.TryGetValue(ports, out var map))
            {
                Maps[ports] = map = Build(ports);
            }

            return map;
        }
    }

    private static RegisterMap Build(int ports)
    {
        var input = RegisterTable.InputRegisters;
        List<RegisterPoint> points =
        [
            RegisterPoint.StatusBit(RegisterTable.InputRegisters, "smoke", 0, "Smoke detector alarm."),
            RegisterPoint.StatusBit(RegisterTable.InputRegisters, "door_open", 1, "Shed door or gate open."),
            RegisterPoint.StatusBit(RegisterTable.InputRegisters, "mains_ok", 2, "Mains supply present."),
            RegisterPoint.StatusBit(RegisterTable.InputRegisters, "over_temperature", 3, "Shed temperature above the cut-off (about 60 °C)."),
            RegisterPoint.StatusBit(RegisterTable.InputRegisters, "power_cut_off", 4, "Charging power cut for the whole shed (smoke, heat or mains)."),
            new() { Name = "port_count", Table = input, Address = 1, Type = PointType.UInt16, Meaning = "Number of charging ports." },
            new() { Name = "temperature", Table = input, Address = 2, Type = PointType.Int16, Scale = 0.1, Unit = "°C", Meaning = "Temperature inside the shed." },
            new() { Name = "free_ports", Table = input, Address = 3, Type = PointType.UInt16, Meaning = "Ports free right now." },
            new() { Name = "energy_total", Table = input, Address = 4, Type = PointType.UInt32, Scale = 0.01, Unit = "kWh", Meaning = "Energy delivered since commissioning (high word first)." },
        ];
        for (var port = 1; port <= ports; port++)
        {
            var b = (ushort)(PortBase + (PortStride * (port - 1)));
            var p = $"Port {port}:";
            points.Add(new() { Name = PortPoint(port, "status"), Table = input, Address = b, Type = PointType.UInt16, Labels = PortStatuses, Meaning = $"{p} status." });
            points.Add(new() { Name = PortPoint(port, "power"), Table = input, Address = (ushort)(b + 1), Type = PointType.UInt16, Unit = "W", Meaning = $"{p} charging power." });
            points.Add(new() { Name = PortPoint(port, "current"), Table = input, Address = (ushort)(b + 2), Type = PointType.UInt16, Scale = 0.01, Unit = "A", Meaning = $"{p} charging current." });
            points.Add(new() { Name = PortPoint(port, "voltage"), Table = input, Address = (ushort)(b + 3), Type = PointType.UInt16, Scale = 0.1, Unit = "V", Meaning = $"{p} supply voltage." });
            points.Add(new() { Name = PortPoint(port, "energy"), Table = input, Address = (ushort)(b + 4), Type = PointType.UInt32, Unit = "Wh", Meaning = $"{p} energy of the current or last session (high word first)." });
            points.Add(new() { Name = PortPoint(port, "charge_time"), Table = input, Address = (ushort)(b + 6), Type = PointType.UInt16, Unit = "min", Meaning = $"{p} minutes since the bike was plugged in." });
            points.Add(new() { Name = PortPoint(port, "stop_reason"), Table = input, Address = (ushort)(b + 7), Type = PointType.UInt16, Labels = StopReasons, Meaning = $"{p} why the last charge stopped." });
            points.Add(new() { Name = PortPoint(port, "fault_code"), Table = input, Address = (ushort)(b + 8), Type = PointType.UInt16, Labels = PortFaults, Meaning = $"{p} port fault; 0 when none." });
            points.Add(new() { Name = PortPoint(port, "minutes_to_full"), Table = input, Address = (ushort)(b + 9), Type = PointType.UInt16, Unit = "min", Meaning = $"{p} estimated minutes until the charge completes; 0 when not charging." });
            points.Add(new() { Name = PortPoint(port, "enabled"), Table = RegisterTable.Coils, Address = (ushort)(port - 1), Type = PointType.Bool, Writable = true, Meaning = $"{p} in service; write 0 to take it out of service, 1 to return it." });
        }

        return new RegisterMap(
            "charger-shed",
            "E-bike charger shed",
            "Shed values and per-port values are input registers (function 04); 32-bit values are high word first. Port n's " +
            $"block starts at input register {PortBase} + {PortStride} × (n − 1); its in-service flag is coil n − 1. The map " +
            "below shows two ports; a shed has as many blocks as ports (port_count).",
            points);
    }
}
