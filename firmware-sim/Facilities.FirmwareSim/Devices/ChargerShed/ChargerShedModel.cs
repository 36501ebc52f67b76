using Facilities.Modbus.Protocol;
using Facilities.Modbus.Slave;

namespace Facilities.FirmwareSim.Devices.ChargerShed;

public sealed record ChargerShedOptions
{
    public int Ports { get; init; } = 12;

    /// <summary>Scales how often residents plug in (1 = a typical estate).</summary>
    public double Demand { get; init; } = 1;
}

/// <summary>
/// A smart charging shed: residents plug in (more in the evening), bikes charge at a couple of hundred watts,
/// taper near full and cut off when full; bikes are collected hours later. Shed-wide faults (smoke, heat, mains)
/// cut every port; port faults stop one port.
/// </summary>
public sealed class ChargerShedModel : DeviceModel
{
    public static readonly IReadOnlyList<FaultInfo> Faults =
    [
        new("port-overcurrent", "A port trips on overcurrent and stops (name:port, e.g. port-overcurrent:3)."),
        new("port-over-temperature", "A port's socket overheats and stops (name:port)."),
        new("abnormal-load", "A port sees a power strip or an overlong charge (650 W, 13 h) and stops (name:port)."),
        new("smoke", "Smoke detected: alarm, shed-wide power cut-off."),
        new("smoke-cut-off-failed", "Smoke detected but the cut-off relay fails: alarm, and the ports keep charging (the worst case)."),
        new("over-temperature", "Shed at 62 °C: over-temperature cut-off."),
        new("mains-lost", "Mains supply lost: every port out of service."),
        new("door-open", "Shed door left open."),
        new("port-overlong-charge", "A port keeps charging a failing battery that never fills: plugged in 8.5 hours ago and still charging (name:port)."),
        new("port-no-cut-off-when-full", "A port reports the battery full but its relay stays closed: about 60 W still drawn (name:port)."),
    ];

    private readonly ChargerShedOptions _options;
    private readonly Port[] _ports;
    private double _energyTotalWh = 3_500_000;
    private double _temperature = 15;

    public ChargerShedModel(DeviceIdentity identity, ChargerShedOptions options, DateTimeOffset now)
        : base(identity, ChargerShedMap.For(options.Ports), now)
    {
        _options = options;
        _ports = [.. Enumerable.Range(1, options.Ports).Select(number => new Port(number))];
        foreach (var port in _ports.Where(_ => Random.NextDouble() < 0.3))
        {
            PlugIn(port, now);
        }

        Store.Update(Publish);
    }

    public override IReadOnlyList<FaultInfo> EquipmentFaults => Faults;

    public int PortCount => _ports.Length;

    /// <summary>
    /// A resident plugs a bike into port <paramref name="port"/> (1-based); false unless the port is free (enabled, no
    /// fault, shed powered). The model plugs bikes in on its own too; this lets tests and demos take a port at will.
    /// </summary>
    public bool PlugIn(int port, DateTimeOffset now)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(port, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, _ports.Length);
        return Act(now, () =>
        {
            var target = _ports[port - 1];
            if (target.Status != 0 || !target.Enabled || target.FaultCode != 0 || ShedCutOff)
            {
                return false;
            }

            PlugIn(target, now);
            target.PowerW = target.RatedPowerW; // drawing at once, so the published estimate is there at once
            return true;
        });
    }

    private bool ShedCutOff => Active("smoke") || Active("over-temperature") || Active("mains-lost");

    private bool Smoke => Active("smoke") || Active("smoke-cut-off-failed");

    private static readonly string[] PortFaults = ["port-overcurrent", "port-over-temperature", "abnormal-load"];

    /// <summary>Port conditions that are no fault the port itself reports: the rules must notice them from its readings.</summary>
    private static readonly string[] PortConditions = ["port-overlong-charge", "port-no-cut-off-when-full"];

    /// <summary>What a closed relay on a full battery still draws (the charger's standby and trickle).</summary>
    private const double DrawAfterFullW = 60;

    protected override bool IsKnownFault(string fault)
    {
        var (name, port) = Split(fault);
        return port is null
            ? base.IsKnownFault(name) && !PortFaults.Contains(name) && !PortConditions.Contains(name)
            : port >= 1 && port <= _ports.Length && (PortFaults.Contains(name) || PortConditions.Contains(name));
    }

    protected override void OnWrittenByMaster(RegisterTable table, ushort address, int count)
    {
        if (table != RegisterTable.Coils)
        {
            return;
        }

        for (var i = address; i < address + count && i < _ports.Length; i++)
        {
            var enabled = Store.GetBit(RegisterTable.Coils, (ushort)i);
            var port = _ports[i];
            if (!enabled && port.Enabled && port.Status == 1)
            {
                Stop(port, 7, toStatus: 2);
            }

            port.Enabled = enabled;
        }
    }

    protected override void OnFaultChanged(string fault, bool active, DateTimeOffset now)
    {
        var (name, number) = Split(fault);
        if (number is { } n && PortConditions.Contains(name))
        {
            var port = _ports[n - 1];
            if (name == "port-overlong-charge" && active)
            {
                if (port.Status != 1)
                {
                    PlugIn(port, now);
                }

                port.PluggedAt = now - TimeSpan.FromHours(8.5);
                port.EnergyWh = Math.Min(port.EnergyWh, port.CapacityWh * 0.5);
            }
            else if (name == "port-no-cut-off-when-full" && active)
            {
                port.PluggedAt ??= now - TimeSpan.FromHours(5);
                port.EnergyWh = port.CapacityWh;
                Stop(port, 1, toStatus: 2);
                port.CollectAt = now + TimeSpan.FromDays(1);
            }
            else if (name == "port-overlong-charge" && port.Status == 1)
            {
                Stop(port, 2, toStatus: 0); // the resident takes the bike away
            }

            return;
        }

        if (number is { } n2)
        {
            var port = _ports[n2 - 1];
            if (active)
            {
                var (reason, code) = name switch
                {
                    "port-overcurrent" => (3, 1),
                    "port-over-temperature" => (4, 2),
                    _ => (8, 3),
                };
                if (name == "abnormal-load")
                {
                    port.PluggedAt = now - TimeSpan.FromHours(13);
                    port.EnergyWh = 650 * 13;
                }

                Stop(port, reason, toStatus: 3);
                port.FaultCode = code;
            }
            else
            {
                port.FaultCode = 0;
                port.Status = 0;
            }

            return;
        }

        if (active && ShedCutOff)
        {
            var reason = Active("smoke") ? 5 : Active("over-temperature") ? 4 : 6;
            foreach (var port in _ports.Where(p => p.Status == 1))
            {
                Stop(port, reason, toStatus: 2);
            }
        }
    }

    protected override void Step(DateTimeOffset now, TimeSpan elapsed)
    {
        var dt = elapsed.TotalSeconds;
        var hour = (now.ToUnixTimeSeconds() / 3600.0 + 8) % 24;
        var arrivalsPerHour = _options.Demand * (hour is >= 18 and < 23 ? 0.5 : hour is >= 7 and < 18 ? 0.15 : 0.04);
        var ambient = 12 - (6 * Math.Cos((hour - 3) / 24 * 2 * Math.PI));
        var charging = 0;
        foreach (var port in _ports)
        {
            if (port.FaultCode != 0)
            {
                continue;
            }

            switch (port.Status)
            {
                case 0 when port.Enabled && !ShedCutOff && Random.NextDouble() < arrivalsPerHour / 3600 * dt:
                    PlugIn(port, now);
                    break;
                case 1:
                    charging++;
                    Charge(port, dt);
                    break;
                case 2 when now >= port.CollectAt:
                    port.Status = 0;
                    break;
            }

            if (port.Status == 0 && !port.Enabled)
            {
                port.Status = 4;
            }
            else if (port.Status == 4 && port.Enabled && !ShedCutOff)
            {
                port.Status = 0;
            }
        }

        var target = Active("over-temperature") ? 62 : Smoke ? 45 : ambient + (0.4 * charging);
        _temperature += (target - _temperature) * Math.Min(1, dt / 300);
    }

    /// <summary>A resident takes the bike away, charged or not; false when nothing is plugged in.</summary>
    public bool Unplug(int port, DateTimeOffset now)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(port, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, _ports.Length);
        return Act(now, () =>
        {
            var chosen = _ports[port - 1];
            if (chosen.Status is not (1 or 2))
            {
                return false;
            }

            if (chosen.Status == 1)
            {
                Stop(chosen, 2, toStatus: 0);
            }

            chosen.Status = 0;
            return true;
        });
    }

    private void PlugIn(Port port, DateTimeOffset now)
    {
        port.Status = 1;
        port.PluggedAt = now;
        port.CapacityWh = 350 + Random.Next(550);
        port.EnergyWh = 0;
        port.RatedPowerW = 170 + Random.Next(90);
        port.StopReason = 0;
        // Most bikes are collected the next morning; some within a few hours.
        port.CollectAt = now + TimeSpan.FromHours(Random.NextDouble() < 0.6 ? 8 + (Random.NextDouble() * 6) : 2 + (Random.NextDouble() * 3));
    }

    private void Charge(Port port, double dt)
    {
        if (Active(port.OverlongCharge))
        {
            // A failing pack takes charge without filling: the port draws on and the battery never reports full.
            port.PowerW = 120;
            port.EnergyWh = Math.Min(port.EnergyWh + (port.PowerW * dt / 3600), port.CapacityWh * 0.9);
            return;
        }

        var fill = port.EnergyWh / port.CapacityWh;
        port.PowerW = fill < 0.85 ? port.RatedPowerW : Math.Max(35, port.RatedPowerW * (1 - fill) / 0.15);
        var energy = port.PowerW * dt / 3600;
        port.EnergyWh += energy;
        _energyTotalWh += energy;
        if (port.EnergyWh >= port.CapacityWh)
        {
            port.EnergyWh = port.CapacityWh;
            Stop(port, 1, toStatus: 2);
        }
    }

    private static void Stop(Port port, int reason, int toStatus)
    {
        port.Status = toStatus;
        port.StopReason = reason;
        port.PowerW = 0;
    }

    private static (string Name, int? Port) Split(string fault)
    {
        var colon = fault.IndexOf(':', StringComparison.Ordinal);
        return colon < 0 ? (fault, null)
            : int.TryParse(fault.AsSpan(colon + 1), out var port) ? (fault[..colon], port) : (fault, -1);
    }

    protected override void Publish(RegisterStore store)
    {
        var map = Map;
        map.Write(store, "smoke", Smoke ? 1 : 0);
        map.Write(store, "door_open", Active("door-open") ? 1 : 0);
        map.Write(store, "mains_ok", Active("mains-lost") ? 0 : 1);
        map.Write(store, "over_temperature", Active("over-temperature") ? 1 : 0);
        map.Write(store, "power_cut_off", ShedCutOff ? 1 : 0);
        map.Write(store, "port_count", _ports.Length);
        map.Write(store, "temperature", _temperature);
        map.Write(store, "free_ports", _ports.Count(p => PublishedStatus(p) == 0));
        map.Write(store, "energy_total", _energyTotalWh / 1000);
        for (var i = 0; i < _ports.Length; i++)
        {
            var port = _ports[i];
            var number = i + 1;
            var status = PublishedStatus(port);
            var charging = status == 1;
            var abnormal = port.FaultCode == 3;
            var names = port.Points;
            map.Write(store, names[0], status);
            var drawAfterFull = status == 2 && Active(port.NoCutOffWhenFull);
            map.Write(store, names[1], abnormal ? 650 : drawAfterFull ? DrawAfterFullW : port.PowerW);
            map.Write(store, names[2], abnormal ? 650 / 220.0 : port.PowerW / 220);
            map.Write(store, names[3], Active("mains-lost") ? 0 : 221.5);
            map.Write(store, names[4], port.EnergyWh);
            map.Write(store, names[5], status is 1 or 2 or 3 && port.PluggedAt is { } at ? Math.Max(0, (SimulatedNow - at).TotalMinutes) : 0);
            map.Write(store, names[6], port.StopReason);
            map.Write(store, names[7], port.FaultCode);
            map.Write(store, names[8], charging && port.PowerW > 0 ? (port.CapacityWh - port.EnergyWh) / port.PowerW * 60 : 0);
            map.Write(store, names[9], port.Enabled ? 1 : 0);
        }
    }

    private int PublishedStatus(Port port) => port.FaultCode != 0 ? 3 : Active("mains-lost") || !port.Enabled ? (port.Status == 2 ? 2 : 4) : port.Status;

    private sealed class Port(int number)
    {
        private static readonly string[] PointNames = ["status", "power", "current", "voltage", "energy", "charge_time", "stop_reason", "fault_code", "minutes_to_full", "enabled"];

        /// <summary>The port's register points in the order Publish writes them (named once, not at every publish).</summary>
        public string[] Points { get; } = [.. PointNames.Select(name => ChargerShedMap.PortPoint(number, name))];

        public string OverlongCharge { get; } = $"port-overlong-charge:{number}";

        public string NoCutOffWhenFull { get; } = $"port-no-cut-off-when-full:{number}";

        public int Status { get; set; }

        public bool Enabled { get; set; } = true;

        public DateTimeOffset? PluggedAt { get; set; }

        public DateTimeOffset CollectAt { get; set; }

        public double CapacityWh { get; set; }

        public double EnergyWh { get; set; }

        public double RatedPowerW { get; set; }

        public double PowerW { get; set; }

        public int StopReason { get; set; }

        public int FaultCode { get; set; }
    }
}
