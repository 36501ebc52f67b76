using Facilities.Cloud.Ingestion;
using Facilities.Cloud.Domain.Devices;
using Facilities.Cloud.Domain.Rules;
using Facilities.Telemetry;

namespace Facilities.Cloud.Devices;

/// <summary>A device's row and latest values as one ingestion transaction knows them.</summary>
internal sealed class DeviceRecord(string site, string device)
{
    public string Site { get; } = site;

    public string Device { get; } = device;

    public string Gateway { get; internal set; } = "";

    public string Kind { get; internal set; } = "";

    public string Building { get; internal set; } = "";

    public string State { get; internal set; } = DeviceStateMessage.Online;

    public string? StateReason { get; internal set; }

    public long StateSince { get; internal set; }

    /// <summary>Sample time of the newest message that set the state (any message from the device means "online").</summary>
    public long StateTs { get; internal set; }

    public long LastSeen { get; internal set; }

    /// <summary>Latest reading per point, with the one before it.</summary>
    public Dictionary<string, PointReading> Points { get; private init; } = new(StringComparer.Ordinal);

    /// <summary>A copy of the row and its values, for another transaction to start from.</summary>
    internal DeviceRecord Copy() => new(Site, Device)
    {
        Gateway = Gateway, Kind = Kind, Building = Building, State = State, StateReason = StateReason, StateSince = StateSince,
        StateTs = StateTs, LastSeen = LastSeen, Points = new Dictionary<string, PointReading>(Points, StringComparer.Ordinal),
    };

    /// <summary>The row existed when the batch began.</summary>
    internal bool Stored { get; set; }

    /// <summary>Something other than "last heard" changed, or a state message came: the row must be written.</summary>
    internal bool Changed { get; set; }

    /// <summary>Heard in this batch: "last heard" moved (written at most once per refresh interval).</summary>
    internal bool Heard { get; set; }

    internal HashSet<string> ChangedPoints { get; } = new(StringComparer.Ordinal);
}

/// <summary>A gateway's row as one ingestion transaction knows it (what the alert engine needs of it).</summary>
internal sealed class GatewayRecord(string site, string gateway)
{
    public string Site { get; } = site;

    public string Gateway { get; } = gateway;

    /// <summary>Null while the gateway has no row (its status was never received).</summary>
    public string? State { get; internal set; }

    public long? LastSeen { get; internal set; }

    /// <summary>Heard in this batch after <see cref="LastSeen"/> was read.</summary>
    internal long? HeardAt { get; set; }
}

/// <summary>
/// What the database knows about the devices and gateways of one batch of messages: read when the batch begins (on
/// PostgreSQL the devices' rows and values locked until the commit, so another instance's batch waits and then reads
/// what this one wrote), kept current message by message in arrival order, written back before the commit. It lives
/// for one transaction only — nothing is trusted across transactions, so the database stays the authority when
/// several instances share the stream. The folding rules are those the previous per-message SQL applied: state and
/// values only move forward in sample time; "last heard" only forward in arrival time.
/// </summary>
internal sealed class DeviceBatch
{
    private readonly Dictionary<(string Site, string Device), DeviceRecord> _devices = [];
    private readonly Dictionary<(string Site, string Gateway), GatewayRecord> _gateways = [];

    public DeviceRecord? Device(string site, string device) => _devices.GetValueOrDefault((site, device));

    public GatewayRecord? Gateway(string site, string gateway) => _gateways.GetValueOrDefault((site, gateway));

    internal IEnumerable<DeviceRecord> Devices => _devices.Values;

    internal IEnumerable<GatewayRecord> Gateways => _gateways.Values;

    /// <summary>Each gateway's stream version before and after this transaction (0: none yet), for the gateways with device messages.</summary>
    internal Dictionary<(string Site, string Gateway), StreamVersion> StreamVersions { get; } = [];

    /// <summary>Adds a row read from the database.</summary>
    internal DeviceRecord AddStored(DeviceRecord record)
    {
        record.Stored = true;
        _devices[(record.Site, record.Device)] = record;
        return record;
    }

    internal GatewayRecord GatewayOrNew(string site, string gateway)
    {
        if (!_gateways.TryGetValue((site, gateway), out var record))
        {
            _gateways[(site, gateway)] = record = new GatewayRecord(site, gateway);
        }

        return record;
    }

    /// <summary>
    /// A message from a device: registers it, notes when it was heard, and sets its state if the message is the newest
    /// (a state message sets the state it carries; any other message means "online").
    /// </summary>
    public DeviceRecord Touch(Envelope envelope, string kind, string building, DeviceStateMessage? stateMessage)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        var ts = envelope.Message.Ts.ToUnixTimeMilliseconds();
        var heard = envelope.ReceivedAt.ToUnixTimeMilliseconds();
        var state = stateMessage?.State ?? DeviceStateMessage.Online;
        var reason = stateMessage?.Reason;
        var key = (envelope.Site, envelope.Device!);
        if (!_devices.TryGetValue(key, out var device))
        {
            _devices[key] = device = new DeviceRecord(envelope.Site, envelope.Device!)
            {
                Gateway = envelope.Gateway, Kind = kind, Building = building, State = state, StateReason = reason, StateSince = ts, StateTs = ts,
                LastSeen = heard, Changed = true, Heard = true,
            };
            return device;
        }

        if (device.Gateway != envelope.Gateway || device.Kind != kind || device.Building != building)
        {
            (device.Gateway, device.Kind, device.Building, device.Changed) = (envelope.Gateway, kind, building, true);
        }

        if (heard > device.LastSeen)
        {
            device.LastSeen = heard;
        }

        device.Heard = true;
        if (ts >= device.StateTs)
        {
            if (stateMessage is not null || state != device.State || reason != device.StateReason)
            {
                device.Changed = true;
            }

            if (state != device.State)
            {
                device.StateSince = ts;
            }

            (device.State, device.StateReason, device.StateTs) = (state, reason, ts);
        }

        return device;
    }

    /// <summary>A reading of a point: kept if it is the newest; the one it replaces becomes its previous reading.</summary>
    public static void SetValue(DeviceRecord device, string point, double value, string? label, DateTimeOffset ts)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (!device.Points.TryGetValue(point, out var current))
        {
            device.Points[point] = new PointReading(value, label, ts);
        }
        else if (ts > current.Ts)
        {
            device.Points[point] = new PointReading(value, label, ts, current.Value, current.Ts);
        }
        else if (ts == current.Ts)
        {
            device.Points[point] = current with { Value = value, Label = label };
        }
        else
        {
            return;
        }

        device.ChangedPoints.Add(point);
    }

    /// <summary>A message from a gateway (or one of its devices) arrived: it was heard.</summary>
    public void Heard(Envelope envelope)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        var gateway = GatewayOrNew(envelope.Site, envelope.Gateway);
        var at = envelope.ReceivedAt.ToUnixTimeMilliseconds();
        if (gateway.HeardAt is not { } heard || at > heard)
        {
            gateway.HeardAt = at;
        }

        if (gateway.State is not null && (gateway.LastSeen is not { } seen || at > seen))
        {
            gateway.LastSeen = at;
        }
    }

    /// <summary>Everything a rule may look at about the device now; null for a device never heard of.</summary>
    public DeviceFacts? Facts(string site, string device) => Device(site, device) is { } d
        ? new DeviceFacts(d.Site, d.Gateway, d.Device, d.Kind, d.Building, d.State != DeviceStateMessage.Offline,
            DateTimeOffset.FromUnixTimeMilliseconds(d.StateSince), d.StateReason, DateTimeOffset.FromUnixTimeMilliseconds(d.LastSeen), d.Points)
        : null;
}
