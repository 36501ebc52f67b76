using System.Data;
using Dapper;
using Facilities.Cloud.Ingestion;
using Facilities.Cloud.Storage;
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
public sealed class DeviceRegistry : IMessageHandler
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
        var lockRows = context.Dialect.ForUpdate;
        foreach (var site in batch.GroupBy(e => e.Site, StringComparer.Ordinal))
        {
            var gateways = site.Select(e => e.Gateway).Distinct(StringComparer.Ordinal).ToList();
            var parameters = new DynamicParameters(new { site = site.Key });
            foreach (var row in await context.Connection.QueryAsync<(string Gateway, string State, long LastSeen)>(new CommandDefinition(
                $"SELECT gateway, state, last_seen FROM gateways WHERE site = @site AND gateway IN {SqlList.Add(parameters, "g", gateways)}",
                parameters, context.Transaction, cancellationToken: cancellationToken)))
            {
                var gateway = state.GatewayOrNew(site.Key, row.Gateway);
                (gateway.State, gateway.LastSeen) = (row.State, row.LastSeen);
            }

            var deviceMessages = site.Where(e => e.Message is TelemetryMessage or EventMessage or DeviceStateMessage).ToList();
            if (deviceMessages.Count == 0)
            {
                continue;
            }

            // The gateways' stream versions (their locks are held since the seen numbers were recorded): a device this
            // instance holds a copy of at the current version comes from memory, the others from the database.
            var streams = deviceMessages.Select(e => e.Gateway).Distinct(StringComparer.Ordinal).ToList();
            parameters = new DynamicParameters(new { site = site.Key });
            var versions = (await context.Connection.QueryAsync<(string Gateway, long Version)>(new CommandDefinition(
                $"SELECT gateway, version FROM gateway_streams WHERE site = @site AND gateway IN {SqlList.Add(parameters, "s", streams)}",
                parameters, context.Transaction, cancellationToken: cancellationToken))).ToDictionary(r => r.Gateway, r => r.Version, StringComparer.Ordinal);
            foreach (var stream in streams)
            {
                state.StreamVersions[(site.Key, stream)] = versions.GetValueOrDefault(stream);
            }

            var devices = new List<string>();
            foreach (var envelope in deviceMessages.DistinctBy(e => e.Device, StringComparer.Ordinal))
            {
                if (_stored.Find(site.Key, envelope.Gateway, state.StreamVersions[(site.Key, envelope.Gateway)], envelope.Device!) is { } copy)
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

            parameters = new DynamicParameters(new { site = site.Key });
            var deviceList = SqlList.Add(parameters, "d", devices);

            // Rows in key order: two instances lock the same devices in the same order, so one waits instead of deadlocking.
            foreach (var row in await context.Connection.QueryAsync<DeviceRow>(new CommandDefinition(
                $"SELECT device, gateway, kind, building, state, state_reason, state_since, state_ts, last_seen FROM devices WHERE site = @site AND device IN {deviceList} ORDER BY device{lockRows}",
                parameters, context.Transaction, cancellationToken: cancellationToken)))
            {
                state.AddStored(new DeviceRecord(site.Key, row.Device)
                {
                    Gateway = row.Gateway, Kind = row.Kind, Building = row.Building, State = row.State, StateReason = row.StateReason,
                    StateSince = row.StateSince, StateTs = row.StateTs, LastSeen = row.LastSeen,
                });
            }

            // Not locked row by row: every writer of a device's values holds its devices row (locked above), and locking
            // hundreds of value rows per batch cost PostgreSQL as much as reading them.
            foreach (var row in await context.Connection.QueryAsync<PointRow>(new CommandDefinition(
                $"SELECT device, point, value, label, ts, prev_value, prev_ts FROM latest_values WHERE site = @site AND device IN {deviceList}",
                parameters, context.Transaction, cancellationToken: cancellationToken)))
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

        await DeviceRows.ExecuteAsync(context.Connection, context.Transaction, devices, cancellationToken);
        await ValueRows.ExecuteAsync(context.Connection, context.Transaction, values, cancellationToken);

        // Each gateway's stream moves on by one; once committed, the devices handled become this instance's copies at the
        // new version (a device new in this batch is read once more instead, in case another gateway's batch created it too).
        var streams = state.StreamVersions.OrderBy(s => s.Key.Site, StringComparer.Ordinal).ThenBy(s => s.Key.Gateway, StringComparer.Ordinal).ToList();
        await StreamRows.ExecuteAsync(context.Connection, context.Transaction, [.. streams.Select(s => new object?[] { s.Key.Site, s.Key.Gateway, 1L })], cancellationToken);
        var handled = state.Devices.Where(d => d.Stored).ToLookup(d => (d.Site, d.Gateway));
        foreach (var ((site, gateway), read) in streams)
        {
            var devicesOfStream = handled[(site, gateway)].ToList();
            context.AfterCommit(() => _stored.Committed(site, gateway, read, read + 1, devicesOfStream));
        }

        foreach (var gateway in state.Gateways)
        {
            if (gateway.HeardAt is { } at && Due((gateway.Site, "gateway:" + gateway.Gateway), ("", "", "", at)))
            {
                await context.Connection.ExecuteAsync(new CommandDefinition(
                    "UPDATE gateways SET last_seen = @at WHERE site = @Site AND gateway = @Gateway AND last_seen < @at",
                    new { gateway.Site, gateway.Gateway, at }, context.Transaction, cancellationToken: cancellationToken));
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
        await context.Connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO gateways (site, gateway, state, state_since, last_seen, status_ts, version, devices, devices_online, outbox_depth, outbox_dropped)
            VALUES (@Site, @Gateway, @State, @Ts, @Now, @Ts, @Version, @Devices, @DevicesOnline, @OutboxDepth, @OutboxDropped)
            ON CONFLICT (site, gateway) DO UPDATE SET
                state_since = CASE WHEN gateways.state <> excluded.state THEN excluded.status_ts ELSE gateways.state_since END,
                state = excluded.state, status_ts = excluded.status_ts, last_seen = excluded.last_seen,
                version = COALESCE(excluded.version, gateways.version),
                devices = CASE WHEN excluded.devices > 0 THEN excluded.devices ELSE gateways.devices END,
                devices_online = excluded.devices_online, outbox_depth = excluded.outbox_depth, outbox_dropped = excluded.outbox_dropped
            WHERE excluded.status_ts >= gateways.status_ts
            """,
            new
            {
                envelope.Site, envelope.Gateway, status.State, Ts = ts.ToUnixTimeMilliseconds(), Now = envelope.ReceivedAt.ToUnixTimeMilliseconds(),
                Version = string.IsNullOrEmpty(status.Version) ? null : status.Version, status.Devices, status.DevicesOnline, status.OutboxDepth, status.OutboxDropped,
            },
            context.Transaction, cancellationToken: cancellationToken));
        var row = await context.Connection.QuerySingleAsync<(string State, long LastSeen)>(new CommandDefinition(
            "SELECT state, last_seen FROM gateways WHERE site = @Site AND gateway = @Gateway", new { envelope.Site, envelope.Gateway }, context.Transaction, cancellationToken: cancellationToken));
        var gateway = state.GatewayOrNew(envelope.Site, envelope.Gateway);
        (gateway.State, gateway.LastSeen) = (row.State, Math.Max(row.LastSeen, gateway.HeardAt ?? 0));
    }

    /// <summary>
    /// The batch's devices, one row each. The batch read the stored rows (locked on PostgreSQL) and moved them only
    /// forward, so the guards pass; they matter only when another instance created the same new device at the same moment.
    /// </summary>
    private static readonly RowsStatement DeviceRows = new(
        "INSERT INTO devices (site, device, gateway, kind, building, state, state_reason, state_since, state_ts, last_seen)",
        """
        ON CONFLICT (site, device) DO UPDATE SET
            gateway = excluded.gateway, kind = excluded.kind, building = excluded.building,
            last_seen = CASE WHEN excluded.last_seen > devices.last_seen THEN excluded.last_seen ELSE devices.last_seen END,
            state_since = CASE WHEN excluded.state_ts >= devices.state_ts THEN excluded.state_since ELSE devices.state_since END,
            state_reason = CASE WHEN excluded.state_ts >= devices.state_ts THEN excluded.state_reason ELSE devices.state_reason END,
            state = CASE WHEN excluded.state_ts >= devices.state_ts THEN excluded.state ELSE devices.state END,
            state_ts = CASE WHEN excluded.state_ts >= devices.state_ts THEN excluded.state_ts ELSE devices.state_ts END
        """,
        DbType.String, DbType.String, DbType.String, DbType.String, DbType.String, DbType.String, DbType.String, DbType.Int64, DbType.Int64, DbType.Int64);

    /// <summary>A gateway's stream version, one up (the first batch makes it 1).</summary>
    private static readonly RowsStatement StreamRows = new(
        "INSERT INTO gateway_streams (site, gateway, version)", "ON CONFLICT (site, gateway) DO UPDATE SET version = gateway_streams.version + 1",
        DbType.String, DbType.String, DbType.Int64);

    /// <summary>The batch's changed values, one row per device and point, each kept only if it is the newest.</summary>
    private static readonly RowsStatement ValueRows = new(
        "INSERT INTO latest_values (site, device, point, value, label, ts, prev_value, prev_ts)",
        """
        ON CONFLICT (site, device, point) DO UPDATE SET
            prev_value = CASE WHEN excluded.prev_ts IS NULL AND excluded.ts > latest_values.ts THEN latest_values.value ELSE excluded.prev_value END,
            prev_ts = CASE WHEN excluded.prev_ts IS NULL AND excluded.ts > latest_values.ts THEN latest_values.ts ELSE excluded.prev_ts END,
            value = excluded.value, label = excluded.label, ts = excluded.ts
        WHERE excluded.ts >= latest_values.ts
        """,
        DbType.String, DbType.String, DbType.String, DbType.Double, DbType.String, DbType.Int64, DbType.Double, DbType.Int64);
}
