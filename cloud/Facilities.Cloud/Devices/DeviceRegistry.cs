using Facilities.Cloud.Ingestion;
using Facilities.Telemetry;

namespace Facilities.Cloud.Devices;

/// <summary>
/// Keeps what the cloud knows about every gateway and device — link state, when it was last heard, its latest value
/// per point — from the stream, in the ingestion transaction. Messages may arrive out of order (a backlog after an
/// outage, two instances): state and values only move forward in sample time (<c>ts</c>), never back.
/// Per batch it reads the rows of the batch's devices and gateways once (<see cref="DeviceBatch"/>, which the alert
/// engine evaluates from), folds every message into them in arrival order, and writes what changed in one statement
/// per table before the commit.
/// </summary>
internal sealed class DeviceRegistry : IMessageHandler
{
    /// <summary>
    /// How often a stream of readings refreshes a device's or gateway's "last heard" row: every batch would be one
    /// more row per device and batch for a value that silence rules read in minutes.
    /// </summary>
    private static readonly long RefreshMs = 1000;

    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string Site, string Id), (string Gateway, string Kind, string Building, long At)> _written = new();

    private readonly StoredDevices _stored = new();

    /// <summary>
    /// The registry stage's output for the batch <paramref name="context"/> is handling: the devices and gateways as its
    /// messages so far left them. The stages after the registry (rules and alerts) read it here; null outside a batch.
    /// </summary>
    public static DeviceBatch? BatchOf(IngestContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.Find<DeviceBatch>();
    }

    public async ValueTask BeginBatchAsync(IReadOnlyList<Envelope> batch, IngestContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(context);
        var state = new DeviceBatch();
        context.Keep(state);
        foreach (var site in batch.GroupBy(e => e.Site, StringComparer.Ordinal))
        {
            var gateways = site.Select(e => e.Gateway).Distinct(StringComparer.Ordinal).ToList();
            foreach (var row in await DeviceStore.ReadGatewaysAsync(context, site.Key, gateways, cancellationToken))
            {
                var gateway = state.GatewayOrNew(site.Key, row.Gateway);
                (gateway.State, gateway.LastSeen) = (row.State, row.LastSeen);
            }

            var deviceMessages = site.Where(e => e.Message is TelemetryMessage or EventMessage or DeviceStateMessage).ToList();
            if (deviceMessages.Count == 0)
            {
                continue;
            }

            // The gateways' stream versions, as the transaction found them when it recorded their numbers (and took their
            // turns): a device this instance holds a copy of at that version comes from memory, the others from the database.
            foreach (var stream in deviceMessages.Select(e => e.Gateway).Distinct(StringComparer.Ordinal))
            {
                state.StreamVersions[(site.Key, stream)] = context.Streams[(site.Key, stream)];
            }

            var devices = new List<string>();
            foreach (var envelope in deviceMessages.DistinctBy(e => e.Device, StringComparer.Ordinal))
            {
                if (_stored.Find(site.Key, envelope.Gateway, state.StreamVersions[(site.Key, envelope.Gateway)].Before, envelope.Device!) is { } copy)
                {
                    state.AddStored(copy);
                }
                else
                {
                    devices.Add(envelope.Device!);
                }
            }

            if (devices.Count == 0)
            {
                continue;
            }

            foreach (var row in await DeviceStore.ReadDevicesForUpdateAsync(context, site.Key, devices, cancellationToken))
            {
                state.AddStored(new DeviceRecord(site.Key, row.Device)
                {
                    Gateway = row.Gateway, Kind = row.Kind, Building = row.Building, State = row.State, StateReason = row.StateReason,
                    StateSince = row.StateSince, StateTs = row.StateTs, LastSeen = row.LastSeen,
                });
            }

            foreach (var row in await DeviceStore.ReadValuesAsync(context, site.Key, devices, cancellationToken))
            {
                if (state.Device(site.Key, row.Device) is { } device)
                {
                    device.Points[row.Point] = row.Reading;
                }
            }
        }
    }

    public async ValueTask HandleAsync(Envelope envelope, IngestContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        ArgumentNullException.ThrowIfNull(context);
        var state = BatchOf(context) ?? throw new InvalidOperationException("the device registry handles messages only between BeginBatchAsync and EndBatchAsync");
        switch (envelope.Message)
        {
            case GatewayStatusMessage status:
                await UpsertGatewayAsync(envelope, status, state, context, cancellationToken);
                return;
            case TelemetryMessage telemetry:
                var device = state.Touch(envelope, telemetry.Kind, telemetry.Building, null);
                foreach (var (point, value) in telemetry.Values)
                {
                    DeviceBatch.SetValue(device, point, value, telemetry.Labels?.GetValueOrDefault(point), telemetry.Ts);
                }

                break;
            case EventMessage @event:
                DeviceBatch.SetValue(state.Touch(envelope, @event.Kind, @event.Building, null), @event.Point, @event.Value, @event.Label, @event.Ts);
                break;
            case DeviceStateMessage deviceState:
                state.Touch(envelope, deviceState.Kind, deviceState.Building, deviceState);
                break;
        }

        state.Heard(envelope);
    }

    public async ValueTask EndBatchAsync(IngestContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var state = BatchOf(context) ?? throw new InvalidOperationException("EndBatchAsync without BeginBatchAsync");
        var devices = new List<object?[]>();
        var values = new List<object?[]>();
        foreach (var device in state.Devices)
        {
            var written = (device.Gateway, device.Kind, device.Building, device.LastSeen);
            if (device.Changed || (device.Heard && Due((device.Site, device.Device), written)))
            {
                devices.Add([device.Site, device.Device, device.Gateway, device.Kind, device.Building, device.State, device.StateReason, device.StateSince, device.StateTs, device.LastSeen]);
                context.AfterCommit(() => _written[(device.Site, device.Device)] = written);
            }

            foreach (var point in device.ChangedPoints)
            {
                var reading = device.Points[point];
                values.Add([device.Site, device.Device, point, reading.Value, reading.Label, reading.Ts.ToUnixTimeMilliseconds(), reading.Previous, reading.PreviousTs?.ToUnixTimeMilliseconds()]);
            }
        }

        await DeviceStore.WriteDevicesAsync(context, devices, cancellationToken);
        await DeviceStore.WriteValuesAsync(context, values, cancellationToken);

        // The transaction moved each gateway's stream on by one; once committed, the devices handled become this instance's
        // copies at the new version (a device new in this batch is read once more instead, in case another gateway's batch
        // created it too).
        var handled = state.Devices.Where(d => d.Stored).ToLookup(d => (d.Site, d.Gateway));
        foreach (var ((site, gateway), version) in state.StreamVersions)
        {
            var devicesOfStream = handled[(site, gateway)].ToList();
            context.AfterCommit(() => _stored.Committed(site, gateway, version.Before, version.After, devicesOfStream));
        }

        foreach (var gateway in state.Gateways)
        {
            if (gateway.HeardAt is { } at && Due((gateway.Site, "gateway:" + gateway.Gateway), ("", "", "", at)))
            {
                await DeviceStore.HeardGatewayAsync(context, gateway.Site, gateway.Gateway, at, cancellationToken);
                context.AfterCommit(() => _written[(gateway.Site, "gateway:" + gateway.Gateway)] = ("", "", "", at));
            }
        }
    }

    /// <summary>
    /// Whether a row only heard from must be written now: never written by this instance, its gateway, kind or building
    /// changed, or its last write is older than <see cref="RefreshMs"/>. What was written is remembered only once the
    /// transaction commits.
    /// </summary>
    private bool Due((string Site, string Id) key, (string Gateway, string Kind, string Building, long At) now) =>
        !(_written.TryGetValue(key, out var last) && (last.Gateway, last.Kind, last.Building) == (now.Gateway, now.Kind, now.Building)
            && now.At - last.At < RefreshMs && now.At >= last.At);

    /// <summary>A gateway's status is rare: written at once, then read back for the rules (the write is guarded by sample time).</summary>
    private static async Task UpsertGatewayAsync(Envelope envelope, GatewayStatusMessage status, DeviceBatch state, IngestContext context, CancellationToken cancellationToken)
    {
        // A last will (seq 0) is written by the broker when the gateway vanished; it carries the time of the gateway's
        // connect, so "offline" is dated by its arrival instead.
        var ts = status.Seq == 0 ? envelope.ReceivedAt : status.Ts;
        var row = await DeviceStore.WriteGatewayStatusAsync(context, envelope, status, ts, cancellationToken);
        var gateway = state.GatewayOrNew(envelope.Site, envelope.Gateway);
        (gateway.State, gateway.LastSeen) = (row.State, Math.Max(row.LastSeen, gateway.HeardAt ?? 0));
    }
}
