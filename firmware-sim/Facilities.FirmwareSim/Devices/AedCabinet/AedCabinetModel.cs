using Facilities.Modbus.Protocol;
using Facilities.Modbus.Slave;

namespace Facilities.FirmwareSim.Devices.AedCabinet;

public sealed record AedCabinetOptions
{
    public bool Outdoor { get; init; } = true;

    public int BatteryExpiresInDays { get; init; } = 400;

    public int PadsExpireInDays { get; init; } = 200;
}

/// <summary>
/// An AED cabinet monitor: the cabinet's climate follows the weather (with a heater outdoors), the AED runs a daily
/// self-test, the battery drains slowly, and the battery and pads carry expiry dates.
/// </summary>
public sealed class AedCabinetModel : DeviceModel
{
    public static readonly IReadOnlyList<FaultInfo> Faults =
    [
        new("door-opened", "Cabinet door opened: siren and light on, AED still inside."),
        new("aed-removed", "AED taken out: door open, AED absent, alarm — an emergency in progress."),
        new("self-test-failure", "The AED's self-test fails (circuit): not ready."),
        new("low-battery", "AED battery at 8 %: self-test reports a battery failure."),
        new("battery-expiring", "Battery expiry date 20 days ahead."),
        new("pads-expiring", "Pads expiry date 20 days ahead."),
        new("too-hot", "Cabinet at 52 °C, above the AED's range."),
        new("too-cold", "Cabinet at −6 °C, heater on but failing."),
        new("self-test-overdue", "The AED stopped self-testing: its last self-test is two days old."),
    ];

    private readonly AedCabinetOptions _options;
    private readonly DateTimeOffset _batteryExpiry;
    private readonly DateTimeOffset _padsExpiry;
    private double _temperature;
    private double _humidity = 50;
    private double _battery = 96;
    private bool _heater;
    private DateTimeOffset _lastSelfTest;
    private bool _postUseCheck;

    public AedCabinetModel(DeviceIdentity identity, AedCabinetOptions options, DateTimeOffset now)
        : base(identity, AedCabinetMap.Map, now)
    {
        _options = options;
        _batteryExpiry = now.AddDays(options.BatteryExpiresInDays);
        _padsExpiry = now.AddDays(options.PadsExpireInDays);
        _temperature = options.Outdoor ? 8 : 22;
        _lastSelfTest = now.AddHours(-Random.Next(1, 24));
        Store.Update(Publish);
    }

    public override IReadOnlyList<FaultInfo> EquipmentFaults => Faults;

    /// <summary>The maintainer restocked the cabinet after use (new pads, battery checked, self-test run) and pressed its button.</summary>
    public void Restock(DateTimeOffset now) => Act(now, () =>
    {
        _postUseCheck = false;
        _lastSelfTest = now;
        return true;
    });

    protected override void OnFaultChanged(string fault, bool active, DateTimeOffset now)
    {
        if (fault == "aed-removed" && !active)
        {
            // Back in its holder after use: the pads are spent and the battery drained until someone restocks it.
            _postUseCheck = true;
        }
    }

    protected override void OnWrittenByMaster(RegisterTable table, ushort address, int count)
    {
        if (table == RegisterTable.Coils && address == 0)
        {
            _postUseCheck = Store.GetBit(RegisterTable.Coils, 0);
        }
    }

    protected override void Step(DateTimeOffset now, TimeSpan elapsed)
    {
        var dt = elapsed.TotalSeconds;
        var hour = (now.ToUnixTimeSeconds() / 3600.0 + 8) % 24;
        var ambient = _options.Outdoor ? 4 - (8 * Math.Cos((hour - 3) / 24 * 2 * Math.PI)) : 22;
        _heater = _options.Outdoor && (_temperature < 5 || (_heater && _temperature < 8));
        var target = _heater ? 12 : ambient;
        _temperature += (target - _temperature) * Math.Min(1, dt / 1800);
        _humidity = 55 + (10 * Math.Sin(hour / 24 * 2 * Math.PI));
        _battery = Math.Max(0, _battery - (0.02 * dt / 86400));
        if (now - _lastSelfTest >= TimeSpan.FromDays(1))
        {
            _lastSelfTest = now;
        }
    }

    protected override void Publish(RegisterStore store)
    {
        var map = Map;
        var removed = Active("aed-removed");
        var doorOpen = removed || Active("door-opened");
        var battery = Active("low-battery") ? 8 : _battery;
        var selfTest = Active("self-test-failure") ? 3 : Active("low-battery") ? 1 : 0;
        var batteryExpiry = Active("battery-expiring") ? SimulatedNow.AddDays(20) : _batteryExpiry;
        var padsExpiry = Active("pads-expiring") ? SimulatedNow.AddDays(20) : _padsExpiry;
        var temperature = Active("too-hot") ? 52 : Active("too-cold") ? -6 : _temperature;
        var attention = Active("battery-expiring") || Active("pads-expiring") || temperature is > 50 or < 0;
        var readiness = removed ? 3 : selfTest != 0 ? 2 : attention ? 1 : 0;

        map.Write(store, "door_open", doorOpen ? 1 : 0);
        map.Write(store, "aed_present", removed ? 0 : 1);
        map.Write(store, "heater_on", _heater || Active("too-cold") ? 1 : 0);
        map.Write(store, "alarm_active", doorOpen ? 1 : 0);
        map.Write(store, "self_test_result", selfTest);
        map.Write(store, "battery", Math.Round(battery));
        map.Write(store, "temperature", temperature);
        map.Write(store, "humidity", _humidity);
        map.Write(store, "battery_expiry", DateNumber(batteryExpiry));
        map.Write(store, "pads_expiry", DateNumber(padsExpiry));
        var lastSelfTest = Active("self-test-overdue") ? SimulatedNow.AddDays(-2) : _lastSelfTest;
        map.Write(store, "last_self_test", lastSelfTest.ToUnixTimeSeconds());
        map.Write(store, "readiness", readiness);
        map.Write(store, "post_use_check", _postUseCheck ? 1 : 0);
    }

    private static int DateNumber(DateTimeOffset date)
    {
        var local = date.ToOffset(TimeSpan.FromHours(8));
        return (local.Year * 10000) + (local.Month * 100) + local.Day;
    }
}
