using Facilities.FirmwareSim.Maps;
using Facilities.Modbus.Protocol;

namespace Facilities.FirmwareSim.Devices.AedCabinet;

/// <summary>The AED cabinet monitor map: contacts as discrete inputs, measurements and dates as input registers.</summary>
public static class AedCabinetMap
{
    public static readonly IReadOnlyDictionary<int, string> SelfTestResults = new Dictionary<int, string>
    {
        [0] = "pass", [1] = "battery failed", [2] = "pads failed", [3] = "circuit failed", [4] = "not run",
    };

    public static readonly IReadOnlyDictionary<int, string> Readiness = new Dictionary<int, string>
    {
        [0] = "ready", [1] = "attention (expiry or environment)", [2] = "not ready", [3] = "in use (AED removed)",
    };

    public static RegisterMap Map { get; } = Build();

    private static RegisterMap Build()
    {
        var input = RegisterTable.InputRegisters;
        var contact = RegisterTable.DiscreteInputs;
        List<RegisterPoint> points =
        [
            new() { Name = "door_open", Table = contact, Address = 0, Type = PointType.Bool, Meaning = "Cabinet door open." },
            new() { Name = "aed_present", Table = contact, Address = 1, Type = PointType.Bool, Meaning = "AED in its holder." },
            new() { Name = "heater_on", Table = contact, Address = 2, Type = PointType.Bool, Meaning = "Cabinet heater on (outdoor cabinets)." },
            new() { Name = "alarm_active", Table = contact, Address = 3, Type = PointType.Bool, Meaning = "Cabinet siren and light on (door opened)." },
            new() { Name = "self_test_result", Table = input, Address = 0, Type = PointType.UInt16, Labels = SelfTestResults, Meaning = "Result of the AED's last self-test." },
            new() { Name = "battery", Table = input, Address = 1, Type = PointType.UInt16, Unit = "%", Meaning = "AED battery charge." },
            new() { Name = "temperature", Table = input, Address = 2, Type = PointType.Int16, Scale = 0.1, Unit = "°C", Meaning = "Cabinet temperature (AEDs are kept within 0–50 °C)." },
            new() { Name = "humidity", Table = input, Address = 3, Type = PointType.UInt16, Scale = 0.1, Unit = "%RH", Meaning = "Cabinet relative humidity." },
            new() { Name = "battery_expiry", Table = input, Address = 4, Type = PointType.UInt32, Unit = "yyyymmdd", Meaning = "Battery expiry date as the decimal number yyyymmdd (high word first)." },
            new() { Name = "pads_expiry", Table = input, Address = 6, Type = PointType.UInt32, Unit = "yyyymmdd", Meaning = "Electrode pads expiry date as yyyymmdd (high word first)." },
            new() { Name = "last_self_test", Table = input, Address = 8, Type = PointType.UInt32, Unit = "s", Meaning = "When the last self-test ran, Unix time (UTC seconds, high word first)." },
            new() { Name = "readiness", Table = input, Address = 10, Type = PointType.UInt16, Labels = Readiness, Meaning = "Overall readiness as the cabinet judges it." },
            new()
            {
                Name = "post_use_check", Table = RegisterTable.Coils, Address = 0, Type = PointType.Bool, Writable = true,
                Meaning = "Set when the AED is put back after being taken out: pads, battery and a self-test are due. The maintainer clears it (button in the cabinet, or write 0) once restocked.",
            },
        ];
        return new RegisterMap(
            "aed-cabinet",
            "AED cabinet",
            "Door, AED-present, heater and alarm are discrete inputs (function 02); the post-use check flag is a coil " +
            "(functions 01/05); values are input registers (function 04), " +
            "32-bit values high word first. Dates are decimal yyyymmdd numbers, as cabinet monitors commonly report them.",
            points);
    }
}
