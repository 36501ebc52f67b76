using Facilities.FirmwareSim.Maps;
using Facilities.Modbus.Protocol;

namespace Facilities.FirmwareSim.Devices.Boiler;

/// <summary>The boiler (burner management + plant controller) map: holding registers, 32-bit values word-swapped.</summary>
public static class BoilerMap
{
    public static readonly IReadOnlyDictionary<int, string> BurnerStates = new Dictionary<int, string>
    {
        [0] = "off", [1] = "pre-purge", [2] = "ignition", [3] = "running", [4] = "post-purge", [5] = "lockout",
    };

    public static readonly IReadOnlyDictionary<int, string> LockoutCodes = new Dictionary<int, string>
    {
        [0] = "none", [1] = "flame failure", [2] = "ignition failure", [3] = "low water", [4] = "over-temperature", [5] = "over-pressure", [6] = "air pressure",
    };

    public static RegisterMap Map { get; } = Build();

    private static RegisterMap Build()
    {
        var holding = RegisterTable.HoldingRegisters;
        List<RegisterPoint> points =
        [
            RegisterPoint.StatusBit(RegisterTable.HoldingRegisters, "burner_on", 0, "Burner demand is on."),
            RegisterPoint.StatusBit(RegisterTable.HoldingRegisters, "flame", 1, "Flame detected."),
            RegisterPoint.StatusBit(RegisterTable.HoldingRegisters, "lockout", 2, "Burner is locked out (see lockout_code); needs a reset."),
            RegisterPoint.StatusBit(RegisterTable.HoldingRegisters, "low_water", 3, "Low-water cut-off tripped."),
            RegisterPoint.StatusBit(RegisterTable.HoldingRegisters, "pump_running", 4, "Circulation pump running."),
            RegisterPoint.StatusBit(RegisterTable.HoldingRegisters, "over_pressure", 5, "Water pressure above the safety limit."),
            RegisterPoint.StatusBit(RegisterTable.HoldingRegisters, "alarm", 6, "Common alarm."),
            new() { Name = "burner_state", Table = holding, Address = 1, Type = PointType.UInt16, Labels = BurnerStates, Meaning = "Burner sequence state." },
            new() { Name = "firing_rate", Table = holding, Address = 2, Type = PointType.UInt16, Scale = 0.1, Unit = "%", Meaning = "Modulation (firing rate)." },
            new() { Name = "flame_signal", Table = holding, Address = 3, Type = PointType.UInt16, Scale = 0.1, Unit = "uA", Meaning = "Flame rod ionisation current." },
            new() { Name = "lockout_code", Table = holding, Address = 4, Type = PointType.UInt16, Labels = LockoutCodes, Meaning = "Why the burner locked out; 0 when not locked out." },
            new() { Name = "water_level", Table = holding, Address = 5, Type = PointType.UInt16, Scale = 0.1, Unit = "%", Meaning = "Water level in the boiler." },
            new() { Name = "supply_temperature", Table = holding, Address = 6, Type = PointType.Int16, Scale = 0.1, Unit = "°C", Meaning = "Supply (outlet) water temperature." },
            new() { Name = "return_temperature", Table = holding, Address = 7, Type = PointType.Int16, Scale = 0.1, Unit = "°C", Meaning = "Return water temperature." },
            new() { Name = "outdoor_temperature", Table = holding, Address = 8, Type = PointType.Int16, Scale = 0.1, Unit = "°C", Meaning = "Outdoor temperature (heating-curve input)." },
            new() { Name = "flue_temperature", Table = holding, Address = 9, Type = PointType.Int16, Scale = 0.1, Unit = "°C", Meaning = "Flue gas temperature." },
            new() { Name = "o2", Table = holding, Address = 10, Type = PointType.UInt16, Scale = 0.1, Unit = "%", Meaning = "O2 in the flue gas." },
            new() { Name = "nox", Table = holding, Address = 11, Type = PointType.UInt16, Unit = "mg/m3", Meaning = "NOx in the flue gas, corrected to 3.5 % O2." },
            new() { Name = "co", Table = holding, Address = 12, Type = PointType.UInt16, Unit = "mg/m3", Meaning = "CO in the flue gas." },
            new() { Name = "supply_setpoint", Table = holding, Address = 13, Type = PointType.Int16, Scale = 0.1, Unit = "°C", Meaning = "Supply setpoint from the outdoor-temperature heating curve." },
            new() { Name = "room_temperature", Table = holding, Address = 14, Type = PointType.Int16, Scale = 0.1, Unit = "°C", Meaning = "Reference room in the heated buildings (simulated: radiators warm it, the envelope cools it; 18 °C is the legal minimum)." },
            new() { Name = "pressure", Table = holding, Address = 20, Type = PointType.Float32, WordOrder = WordOrder.LowFirst, Unit = "bar", Meaning = "Water pressure (IEEE-754 float, low word first)." },
            new() { Name = "burner_hours", Table = holding, Address = 22, Type = PointType.UInt32, WordOrder = WordOrder.LowFirst, Scale = 0.1, Unit = "h", Meaning = "Burner running time (low word first)." },
            new() { Name = "burner_starts", Table = holding, Address = 24, Type = PointType.UInt32, WordOrder = WordOrder.LowFirst, Meaning = "Burner start counter (low word first)." },
            new() { Name = "gas_total", Table = holding, Address = 26, Type = PointType.Float32, WordOrder = WordOrder.LowFirst, Unit = "m3", Meaning = "Gas consumed since commissioning (float, low word first)." },
            new() { Name = "enabled", Table = RegisterTable.Coils, Address = 0, Type = PointType.Bool, Writable = true, Meaning = "Boiler enabled; write 0 to stop it, 1 to release it (also resets a lockout)." },
        ];
        return new RegisterMap(
            "boiler",
            "Heating boiler",
            "Everything is in holding registers (function 03) as on most plant controllers. 32-bit values (float32 and " +
            "uint32) are **word-swapped: low word first** (\"CDAB\"), unlike the other kinds; bytes inside each word are " +
            "big-endian as always. The status word at holding register 0 carries bit fields.",
            points);
    }
}
