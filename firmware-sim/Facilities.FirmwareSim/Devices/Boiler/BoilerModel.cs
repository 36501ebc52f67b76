using Facilities.Modbus.Protocol;
using Facilities.Modbus.Slave;

namespace Facilities.FirmwareSim.Devices.Boiler;

public sealed record BoilerOptions
{
    /// <summary>Mean outdoor temperature; the day swings ±<see cref="OutdoorSwing"/> around it.</summary>
    public double OutdoorMean { get; init; } = -2;

    public double OutdoorSwing { get; init; } = 5;

    /// <summary>Heating curve: setpoint = 20 + slope × (20 − outdoor), clamped to the system's limits.</summary>
    public double CurveSlope { get; init; } = 1.8;

    /// <summary>Highest supply temperature the system allows (85 °C radiators, 60 °C floor heating).</summary>
    public double MaxSupply { get; init; } = 85;
}

/// <summary>
/// A gas boiler with a modulating burner. Supply temperature follows the firing rate through a first-order plant;
/// the firing rate follows the setpoint from the outdoor-temperature heating curve; the burner runs its
/// purge-ignite-run sequence; flue values follow the firing rate. A reference room of the heated buildings warms by
/// what the radiators give off and cools towards the outdoor temperature, so "the rooms drop under 18 °C" (when
/// residents complain) can be told apart from "the supply is low" (when the alert should come).
/// </summary>
public sealed class BoilerModel : DeviceModel
{
    public static readonly IReadOnlyList<FaultInfo> Faults =
    [
        new("lockout", "Ignition failure lockout: burner off, lockout code 2, water cools."),
        new("flame-failure", "Flame lost while running: lockout code 1, flame signal 0."),
        new("low-water", "Water level low: low-water cut-off, lockout code 3."),
        new("high-nox", "Combustion out of tune: NOx about 120 mg/m3, CO up, O2 down."),
        new("supply-temperature-low", "Badly fouled exchanger: it passes an eighth of the burner's heat, the rest goes up the flue (flue gas much hotter); the controller fires flat out but the supply stays low: radiators go cold."),
        new("over-pressure", "Water pressure 3.2 bar: over-pressure bit, lockout code 5."),
        new("pump-stopped", "Circulation pump stopped: no flow, the supply sensor in the flow pipe cools, so the controller keeps the burner firing (the boiler body overheats until its high limit trips)."),
        new("short-cycling", "Burner short-cycles (oversized or a faulty thermostat): starts at once, stops after a minute, about 30 starts an hour."),
        new("low-pressure", "Water leak: the system loses water and its pressure falls to about 0.6 bar (the boiler keeps running until someone refills it)."),
        new("overheating", "Burner control stuck on (a welded relay, a failed control thermostat): the burner fires flat out past its setpoint and the supply climbs past the heating system's maximum, towards the high-limit thermostat."),
    ];

    // A badly fouled exchanger (scale on the water side, soot on the flue side) passes this share of the burner's heat.
    // So little that even a floor-heating system's lowest setpoint (35 °C) is out of reach: the fault the simulator
    // advertises is "radiators go cold", which a mildly fouled exchanger that still holds a low setpoint does not cause.
    private const double FouledShare = 0.125;

    // Plant: heat gain per second at 100 % firing, loss coefficient towards 20 °C, return = supply − 45 % of the rise.
    private const double GainPerSecond = 0.30;
    private const double LossPerSecond = 0.004;
    // Room: radiators (mean of supply and return) heat it, the envelope loses towards outdoors. The emission coefficient
    // is the loss one over 0.775 (radiator mean above 20 °C per supply degree) × the curve slope, so a supply on the
    // heating curve holds the room at 20 °C whatever the weather: a floor-heating system's flat curve (slope 1.0) has
    // the larger emitting surface to match. Time constant about two hours.
    private const double RoomLossPerSecond = 5.8e-5 * 1.395;
    // Firing rate (%) the controller takes off per kelvin the supply rose.
    private const double ProportionalPerKelvin = 10;
    private static readonly TimeSpan PurgeTime = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan IgnitionTime = TimeSpan.FromSeconds(5);

    private readonly BoilerOptions _options;
    private double _supply;
    private double _supplyBefore;
    private double _outdoor;
    private double _room = 20;
    private double _rate;
    private int _state;
    private TimeSpan _stateTimer;
    private double _burnerSeconds;
    private uint _starts = 12_000;
    private double _gas = 180_000;
    private bool _enabled = true;

    public BoilerModel(DeviceIdentity identity, BoilerOptions options, DateTimeOffset now)
        : base(identity, BoilerMap.Map, now)
    {
        _options = options;
        _outdoor = Outdoor(now);
        _supply = Setpoint;
        _supplyBefore = _supply;
        _state = 3;
        _rate = 50;
        _burnerSeconds = 30_000 * 3600.0;
        Store.Update(Publish);
    }

    public override IReadOnlyList<FaultInfo> EquipmentFaults => Faults;

    /// <summary>
    /// The heating curve's setpoint, capped 5 K under the system's maximum: the burner's ±3 K band around it must stay
    /// under the limit a healthy plant never reaches (a controller that aimed at 85 °C would overshoot it every cycle).
    /// </summary>
    public double Setpoint => Math.Clamp(20 + (_options.CurveSlope * (20 - _outdoor)), 35, _options.MaxSupply - 5);

    private bool LockedOut => !_enabled || Active("lockout") || Active("flame-failure") || Active("low-water") || Active("over-pressure");

    private double Return => _supply - (0.45 * Math.Max(0, _supply - 20));

    protected override void OnWrittenByMaster(RegisterTable table, ushort address, int count)
    {
        if (table == RegisterTable.Coils && address == 0)
        {
            _enabled = Store.GetBit(RegisterTable.Coils, 0);
        }
    }

    protected override void Step(DateTimeOffset now, TimeSpan elapsed)
    {
        var dt = elapsed.TotalSeconds;
        _outdoor = Outdoor(now);
        StepBurner(elapsed);
        _supplyBefore = _supply;
        var gain = _state == 3 ? _rate / 100 * GainPerSecond : 0;
        if (Active("supply-temperature-low"))
        {
            gain *= FouledShare;
        }

        if (Active("pump-stopped"))
        {
            // No flow carries the burner's heat to the supply sensor in the flow pipe: it only cools.
            gain = 0;
        }

        _supply += (gain - (LossPerSecond * (_supply - 20))) * dt;
        var radiators = (_supply + Return) / 2;
        var roomEmissionPerSecond = RoomLossPerSecond / (0.775 * _options.CurveSlope);
        _room += ((roomEmissionPerSecond * (radiators - _room)) - (RoomLossPerSecond * (_room - _outdoor))) * dt;
        if (_state == 3)
        {
            _burnerSeconds += dt;
            _gas += _rate / 100 * 0.012 * dt;
        }
    }

    private void StepBurner(TimeSpan elapsed)
    {
        _stateTimer += elapsed;
        var demand = _supply < Setpoint - 3 || (_state == 3 && _supply < Setpoint + 3) || (Active("short-cycling") && _state != 3) || Active("overheating");
        if (LockedOut)
        {
            _state = _enabled ? 5 : 0;
            _rate = 0;
            return;
        }

        switch (_state)
        {
            case 0 or 5 when demand:
                (_state, _stateTimer) = (1, TimeSpan.Zero);
                break;
            case 1 when _stateTimer >= PurgeTime:
                (_state, _stateTimer) = (2, TimeSpan.Zero);
                _starts++;
                break;
            case 2 when _stateTimer >= IgnitionTime:
                (_state, _stateTimer, _rate) = (3, TimeSpan.Zero, 30);
                break;
            case 3 when !demand || (Active("short-cycling") && _stateTimer >= TimeSpan.FromMinutes(1)):
                (_state, _stateTimer, _rate) = (4, TimeSpan.Zero, 0);
                break;
            case 3:
                // A fouled exchanger needs no special case: the supply stays under the setpoint, so the controller
                // modulates up to 100 % and stays there.
                // PI in velocity form: integral on the error, proportional on the supply's last change. Integral alone
                // left the loop so lightly damped that one disturbance (a lockout, a fault cleared) set the healthy
                // burner cycling on its ±3 K band some 20 times an hour for the rest of the day.
                _rate = Active("overheating") ? 100
                    : Math.Clamp(_rate + ((Setpoint - _supply) * 0.5 * elapsed.TotalSeconds) - (ProportionalPerKelvin * (_supply - _supplyBefore)), 20, 100);
                break;
            case 4 when _stateTimer >= PurgeTime:
                (_state, _stateTimer) = (0, TimeSpan.Zero);
                break;
        }
    }

    private double Outdoor(DateTimeOffset now)
    {
        // Coldest around 05:00, warmest around 15:00 local (UTC+8).
        var hour = (now.ToUnixTimeSeconds() / 3600.0 + 8) % 24;
        return _options.OutdoorMean - (_options.OutdoorSwing * Math.Cos((hour - 3) / 24 * 2 * Math.PI));
    }

    protected override void Publish(RegisterStore store)
    {
        var map = Map;
        var running = _state == 3;
        // The flue-gas analyser reads combustion products whenever the flame burns, ignition included (the emission
        // rules average over exactly that time: "while the flame burns").
        var lit = running || _state == 2;
        var lockoutCode = !_enabled ? 0 : Active("low-water") ? 3 : Active("over-pressure") ? 5 : Active("flame-failure") ? 1 : Active("lockout") ? 2 : 0;
        var pressure = Active("over-pressure") ? 3.2 : Active("low-pressure") ? 0.6 : 1.5 + (0.006 * (_supply - 20));
        var o2 = lit ? (Active("high-nox") ? 1.2 : 6.0 - (_rate * 0.025)) : 20.9;
        map.Write(store, "burner_on", _state is 1 or 2 or 3 ? 1 : 0);
        map.Write(store, "flame", lit ? 1 : 0);
        map.Write(store, "lockout", lockoutCode > 0 ? 1 : 0);
        map.Write(store, "low_water", Active("low-water") ? 1 : 0);
        map.Write(store, "pump_running", _enabled && !Active("pump-stopped") ? 1 : 0);
        map.Write(store, "over_pressure", Active("over-pressure") ? 1 : 0);
        map.Write(store, "alarm", lockoutCode > 0 || Active("high-nox") ? 1 : 0);
        map.Write(store, "burner_state", _state);
        map.Write(store, "firing_rate", _rate);
        map.Write(store, "flame_signal", running ? 6 + (_rate * 0.04) : _state == 2 ? 3 : 0);
        map.Write(store, "lockout_code", lockoutCode);
        map.Write(store, "water_level", Active("low-water") ? 15 : 80);
        map.Write(store, "supply_temperature", _supply);
        map.Write(store, "return_temperature", Return);
        map.Write(store, "outdoor_temperature", _outdoor);
        // The heat a fouled exchanger does not pass to the water leaves with the flue gas.
        var unpassed = Active("supply-temperature-low") ? (1 - FouledShare) * _rate * 1.5 : 0;
        map.Write(store, "flue_temperature", running ? _supply + 40 + (_rate * 0.4) + unpassed : _supply + 5);
        map.Write(store, "o2", o2);
        map.Write(store, "nox", lit ? (Active("high-nox") ? 120 : 22 + (_rate * 0.06)) : 0);
        map.Write(store, "co", lit ? (Active("high-nox") ? 180 : 12 + (_rate * 0.1)) : 0);
        map.Write(store, "supply_setpoint", Setpoint);
        map.Write(store, "room_temperature", _room);
        map.Write(store, "pressure", Math.Round(pressure, 3));
        map.Write(store, "burner_hours", _burnerSeconds / 3600);
        map.Write(store, "burner_starts", _starts);
        map.Write(store, "gas_total", Math.Round(_gas, 1));
        map.Write(store, "enabled", _enabled ? 1 : 0);
    }
}
