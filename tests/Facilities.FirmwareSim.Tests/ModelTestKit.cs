using Facilities.FirmwareSim.Devices;
using Facilities.FirmwareSim.Devices.AedCabinet;
using Facilities.FirmwareSim.Devices.Boiler;
using Facilities.FirmwareSim.Devices.ChargerShed;
using Facilities.FirmwareSim.Devices.Elevator;

namespace Facilities.FirmwareSim.Tests;

/// <summary>Builds device models at a fixed simulated time, for tests of pure model behaviour.</summary>
internal static class ModelTestKit
{
    /// <summary>A winter evening in Beijing (UTC+8): 19:00 local.</summary>
    public static readonly DateTimeOffset Start = new(2026, 1, 15, 11, 0, 0, TimeSpan.Zero);

    public static DeviceIdentity Identity(string id = "dev-1", byte unit = 1) => new(id, id, "site", "b01", "bus", unit);

    public static DeviceModel Create(string kind, DateTimeOffset? now = null) => kind switch
    {
        "elevator" => new ElevatorModel(Identity("lift"), new ElevatorOptions(), now ?? Start),
        "boiler" => new BoilerModel(Identity("boiler"), new BoilerOptions(), now ?? Start),
        "charger-shed" => new ChargerShedModel(Identity("shed"), new ChargerShedOptions { Ports = 4 }, now ?? Start),
        _ => new AedCabinetModel(Identity("aed"), new AedCabinetOptions(), now ?? Start),
    };

    public static double Value(this DeviceModel model, string point) => model.Values()[point];

    /// <summary>Advances in ticks the way the host does, so sub-stepping is exercised too.</summary>
    public static DateTimeOffset Run(this DeviceModel model, DateTimeOffset from, TimeSpan duration, TimeSpan? tick = null)
    {
        var step = tick ?? TimeSpan.FromSeconds(10);
        var now = from;
        while (now < from + duration)
        {
            now += step;
            model.Advance(now);
        }

        return now;
    }
}
