using System.Globalization;
using Facilities.Telemetry;

namespace Facilities.Cloud.Benchmarks;

/// <summary>One message of the backlog as its gateway publishes it (QoS 1, not retained).</summary>
internal sealed record BacklogMessage(string Gateway, string Topic, byte[] Payload);

/// <summary>
/// Gateways and devices publishing what the real gateway publishes from a start: its status, each device's link state,
/// then readings — changed values with the anchor point of the kind, a heartbeat with every point now and then — and one
/// event in ten (a door, burner or port changing state). Values stay inside every default rule's limits (a charger
/// shed's temperature, watched for its rate of rise, only comes with heartbeats and stays put), so ingesting the stream
/// raises no alert: the cloud does its normal per-message work, not an alert storm. Sequence numbers rise per gateway
/// from 1. Pure and seeded.
/// </summary>
internal sealed class SimulatedEstate(string site, string gatewayPrefix, int gateways, int devicesPerGateway)
{
    /// <summary>Every n-th reading of a device is a heartbeat carrying all its points.</summary>
    private const int HeartbeatEvery = 20;

    private const int EventEvery = 10;

    private static readonly string[] Kinds = ["elevator", "boiler", "charger-shed", "aed-cabinet"];

    public string Site { get; } = site;

    public int Devices => gateways * devicesPerGateway;

    /// <summary>
    /// <paramref name="count"/> messages (at least one per gateway and device for the start-up messages), sampled
    /// evenly over <paramref name="span"/> ending at <paramref name="end"/>.
    /// </summary>
    public IReadOnlyList<BacklogMessage> Messages(int count, DateTimeOffset end, TimeSpan span)
    {
        var random = new Random(20261122);
        var devices = Enumerable.Range(0, Devices).Select(i => new DeviceModel(
            string.Create(CultureInfo.InvariantCulture, $"{gatewayPrefix}-{i / devicesPerGateway + 1:00}"),
            string.Create(CultureInfo.InvariantCulture, $"{gatewayPrefix}-dev-{i + 1:000}"),
            Kinds[i % Kinds.Length],
            string.Create(CultureInfo.InvariantCulture, $"b{i % 7 + 1:00}"),
            random)).ToArray();
        var startup = gateways + devices.Length;
        if (count < startup)
        {
            throw new ArgumentOutOfRangeException(nameof(count), $"the estate's start-up alone is {startup} messages");
        }

        var seq = new Dictionary<string, long>(StringComparer.Ordinal);
        long Next(string gateway) => seq[gateway] = seq.GetValueOrDefault(gateway) + 1;

        var perDevice = Math.Max(1, (count - startup + devices.Length - 1) / devices.Length);
        var interval = span / perDevice;
        var first = end - span;
        var messages = new List<BacklogMessage>(count);
        foreach (var gateway in devices.Select(d => d.Gateway).Distinct())
        {
            var online = devices.Count(d => d.Gateway == gateway);
            messages.Add(new(gateway, Topics.GatewayStatus(Site, gateway), MessageJson.Serialize(
                new GatewayStatusMessage(Schema.Version, Next(gateway), first - interval, gateway, "online", "bench", online, online, 0, 0))));
        }

        foreach (var device in devices)
        {
            messages.Add(new(device.Gateway, Topics.DeviceState(Site, device.Gateway, device.Id), MessageJson.Serialize(
                new DeviceStateMessage(Schema.Version, Next(device.Gateway), first - interval, device.Id, device.Kind, device.Building, DeviceStateMessage.Online, null))));
        }

        for (var round = 0; messages.Count < count; round++)
        {
            var ts = first + interval * round;
            foreach (var device in devices)
            {
                if (messages.Count == count)
                {
                    break;
                }

                var (topic, payload) = (round + device.Phase) % EventEvery == 0
                    ? device.Event(Site, Next(device.Gateway), ts)
                    : device.Reading(Site, Next(device.Gateway), ts, heartbeat: (round + device.Phase) % HeartbeatEvery == 1);
                messages.Add(new(device.Gateway, topic, payload));
            }
        }

        return messages;
    }

    /// <summary>One device's plausible, slowly wandering state.</summary>
    private sealed class DeviceModel
    {
        private readonly Random _random;
        private readonly Dictionary<string, double> _values;
        private int _eventState;
        private int _readingsSinceEvent;

        public DeviceModel(string gateway, string id, string kind, string building, Random random)
        {
            Gateway = gateway;
            Id = id;
            Kind = kind;
            Building = building;
            _random = random;
            Phase = random.Next(EventEvery);
            _values = kind switch
            {
                "elevator" => new() { ["floor"] = 1, ["load"] = 20, ["speed"] = 0, ["service_mode"] = 0, ["fault_code"] = 0, ["trips"] = 12000, ["door_state"] = 0 },
                "boiler" => new()
                {
                    ["supply_temperature"] = 70, ["return_temperature"] = 55, ["pressure"] = 1.6, ["firing_rate"] = 60, ["flue_temperature"] = 140,
                    ["o2"] = 4, ["co"] = 20, ["nox"] = 40, ["burner_on"] = 1, ["lockout_code"] = 0, ["low_water"] = 0,
                },
                "charger-shed" => new()
                {
                    ["temperature"] = 18, ["free_ports"] = 6, ["port_1_power"] = 180, ["port_1_current"] = 0.8, ["energy_total"] = 3500,
                    ["smoke"] = 0, ["door_open"] = 0, ["mains_ok"] = 1, ["over_temperature"] = 0, ["port_1_fault_code"] = 0,
                },
                _ => new()
                {
                    ["temperature"] = 18, ["humidity"] = 45, ["battery"] = 92, ["door_open"] = 0, ["aed_present"] = 1, ["self_test_result"] = 0,
                    ["battery_expiry"] = 20290630, ["pads_expiry"] = 20280315,
                },
            };
        }

        public string Gateway { get; }

        public string Id { get; }

        public string Kind { get; }

        public string Building { get; }

        public int Phase { get; }

        /// <summary>The point every reading of this kind carries (it changes every poll), then one or two others that moved.</summary>
        private (string Anchor, string[] Wandering) Points => Kind switch
        {
            "elevator" => ("floor", ["load", "speed"]),
            "boiler" => ("supply_temperature", ["return_temperature", "pressure", "firing_rate", "flue_temperature", "o2", "co", "nox"]),
            "charger-shed" => ("port_1_power", ["free_ports", "port_1_current", "energy_total"]),
            _ => ("temperature", ["humidity", "battery"]),
        };

        public (string Topic, byte[] Payload) Reading(string site, long seq, DateTimeOffset ts, bool heartbeat)
        {
            var (anchor, wandering) = Points;
            _readingsSinceEvent++;
            Wander(anchor);
            var values = new Dictionary<string, double>(StringComparer.Ordinal) { [anchor] = _values[anchor] };
            if (heartbeat)
            {
                foreach (var (point, value) in _values)
                {
                    values[point] = value;
                }
            }
            else
            {
                for (var i = _random.Next(1, 3); i > 0; i--)
                {
                    var point = wandering[_random.Next(wandering.Length)];
                    Wander(point);
                    values[point] = _values[point];
                }
            }

            var labels = Labels(values);
            var message = new TelemetryMessage(Schema.Version, seq, ts, Id, Kind, Building, values, labels.Count > 0 ? labels : null, heartbeat);
            return (Topics.Telemetry(site, Gateway, Id), MessageJson.Serialize(message));
        }

        public (string Topic, byte[] Payload) Event(string site, long seq, DateTimeOffset ts)
        {
            var (point, states) = Kind switch
            {
                "elevator" => ("door_state", new[] { "closed", "opening", "open", "closing" }),
                "boiler" => ("burner_state", ["running", "post-purge", "off", "pre-purge", "ignition"]),
                "charger-shed" => ("port_1_status", ["free", "charging", "finished, waiting for removal"]),
                _ => ("heater_on", ["off", "on"]),
            };
            var previous = _eventState;
            _eventState = (_eventState + 1) % states.Length;
            _readingsSinceEvent = 0;
            var message = new EventMessage(Schema.Version, seq, ts, Id, Kind, Building, point, _eventState, states[_eventState], previous, states[previous]);
            return (Topics.Events(site, Gateway, Id), MessageJson.Serialize(message));
        }

        /// <summary>A small step, kept inside the band the kind's rules consider normal.</summary>
        private void Wander(string point)
        {
            var (low, high, step) = (Kind, point) switch
            {
                ("elevator", "floor") => (-2.0, 30.0, 1.0),
                ("elevator", "load") => (0.0, 90.0, 5.0),
                ("elevator", "speed") => (0.0, 1.75, 0.25),
                ("boiler", "supply_temperature") => (65.0, 78.0, 0.5),
                ("boiler", "return_temperature") => (45.0, 60.0, 0.5),
                ("boiler", "pressure") => (1.2, 2.2, 0.05),
                ("boiler", "co") => (5.0, 60.0, 2.0),
                ("boiler", "nox") => (20.0, 65.0, 2.0),
                ("charger-shed", "free_ports") => (0.0, 12.0, 1.0),
                ("charger-shed", "port_1_power") => (0.0, 400.0, 10.0),
                ("aed-cabinet", "temperature") => (12.0, 26.0, 0.1),
                ("aed-cabinet", "battery") => (80.0, 100.0, 1.0),
                _ => (0.0, 5000.0, 1.0),
            };
            if ((Kind, point) is ("charger-shed", "port_1_power"))
            {
                // Power flows only while the port is charging (port_1_status, the kind's event point), and falls to
                // nothing a few readings before the port reports the battery full (the charger sees the current stop,
                // then says so): a port reported free or full draws nothing (charger.power-after-full watches that).
                if (_eventState != 1 || _readingsSinceEvent > EventEvery - 4)
                {
                    _values[point] = 0;
                    return;
                }

                low = 100;
            }

            var value = _values[point] + (_random.Next(3) - 1) * step;
            _values[point] = Math.Round(Math.Clamp(value, low, high), 2);
        }

        private static Dictionary<string, string> Labels(Dictionary<string, double> values)
        {
            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (point, value) in values)
            {
                var label = (point, value) switch
                {
                    ("service_mode", 0) => "normal",
                    ("fault_code" or "lockout_code" or "port_1_fault_code", 0) => "none",
                    ("self_test_result", 0) => "pass",
                    ("door_state", 0) => "closed",
                    _ => null,
                };
                if (label is not null)
                {
                    labels[point] = label;
                }
            }

            return labels;
        }
    }
}
