using System.Globalization;
using System.Text;
using Dapper;
using Facilities.Cloud.Ingestion;
using Facilities.Telemetry;

namespace Facilities.Cloud.Devices;

/// <summary>
/// Keeps what the cloud knows about every gateway and device — link state, when it was last heard, its latest value
/// per point — from the stream, in the ingestion transaction. Messages may arrive out of order (a backlog after an
/// outage, two instances): state and values only move forward in sample time (<c>ts</c>), never back.
/// </summary>
public sealed class DeviceRegistry : IMessageHandler
{
    /// <summary>
    /// How often a stream of readings refreshes a device's or gateway's "last heard" row: every message would be one
    /// more statement per message for a value that silence rules read in minutes.
    /// </summary>
    private static readonly long RefreshMs = 1000;

    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string Site, string Id), (string Gateway, string Kind, string Building, long At)> _written = new();

    public async ValueTask HandleAsync(Envelope envelope, IngestContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        ArgumentNullException.ThrowIfNull(context);
        switch (envelope.Message)
        {
            case GatewayStatusMessage status:
                await UpsertGatewayAsync(envelope, status, context, cancellationToken);
                break;
            case TelemetryMessage telemetry:
                await TouchDeviceAsync(envelope, telemetry.Kind, telemetry.Building, null, context, cancellationToken);
                foreach (var chunk in telemetry.Values.Chunk(200))
                {
                    await UpsertValuesAsync(envelope, [.. chunk.Select(v => (v.Key, v.Value, telemetry.Labels?.GetValueOrDefault(v.Key)))], context, cancellationToken);
                }

                break;
            case EventMessage @event:
                await TouchDeviceAsync(envelope, @event.Kind, @event.Building, null, context, cancellationToken);
                await UpsertValuesAsync(envelope, [(@event.Point, @event.Value, @event.Label)], context, cancellationToken);
                break;
            case DeviceStateMessage state:
                await TouchDeviceAsync(envelope, state.Kind, state.Building, state, context, cancellationToken);
                break;
        }

        if (envelope.Message is not GatewayStatusMessage && Due((envelope.Site, "gateway:" + envelope.Gateway), ("", "", "", envelope.ReceivedAt.ToUnixTimeMilliseconds()), context))
        {
            await context.Connection.ExecuteAsync(new CommandDefinition(
                "UPDATE gateways SET last_seen = @Now WHERE site = @Site AND gateway = @Gateway AND last_seen < @Now",
                new { envelope.Site, envelope.Gateway, Now = envelope.ReceivedAt.ToUnixTimeMilliseconds() }, context.Transaction, cancellationToken: cancellationToken));
        }
    }

    private static Task<int> UpsertGatewayAsync(Envelope envelope, GatewayStatusMessage status, IngestContext context, CancellationToken cancellationToken)
    {
        // A last will (seq 0) is written by the broker when the gateway vanished; it carries the time of the gateway's
        // connect, so "offline" is dated by its arrival instead.
        var ts = status.Seq == 0 ? envelope.ReceivedAt : status.Ts;
        return context.Connection.ExecuteAsync(new CommandDefinition("""
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
    }

    /// <summary>
    /// Registers the device and notes it was heard. Any message from a device means it is online unless a newer state
    /// message says otherwise; a state message sets the state if it is the newest.
    /// </summary>
    private Task<int> TouchDeviceAsync(Envelope envelope, string kind, string building, DeviceStateMessage? state, IngestContext context, CancellationToken cancellationToken)
    {
        if (state is null && !Due((envelope.Site, envelope.Device!), (envelope.Gateway, kind, building, envelope.ReceivedAt.ToUnixTimeMilliseconds()), context))
        {
            return Task.FromResult(0);
        }

        var ts = envelope.Message.Ts.ToUnixTimeMilliseconds();
        return context.Connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO devices (site, device, gateway, kind, building, state, state_reason, state_since, state_ts, last_seen)
            VALUES (@Site, @Device, @Gateway, @Kind, @Building, @State, @Reason, @Ts, @Ts, @Now)
            ON CONFLICT (site, device) DO UPDATE SET
                gateway = excluded.gateway, kind = excluded.kind, building = excluded.building,
                last_seen = CASE WHEN excluded.last_seen > devices.last_seen THEN excluded.last_seen ELSE devices.last_seen END,
                state_since = CASE WHEN excluded.state_ts >= devices.state_ts AND excluded.state <> devices.state THEN excluded.state_ts ELSE devices.state_since END,
                state_reason = CASE WHEN excluded.state_ts >= devices.state_ts THEN excluded.state_reason ELSE devices.state_reason END,
                state = CASE WHEN excluded.state_ts >= devices.state_ts THEN excluded.state ELSE devices.state END,
                state_ts = CASE WHEN excluded.state_ts >= devices.state_ts THEN excluded.state_ts ELSE devices.state_ts END
            """,
            new
            {
                envelope.Site, envelope.Device, envelope.Gateway, Kind = kind, Building = building,
                State = state?.State ?? DeviceStateMessage.Online, Reason = state?.Reason, Ts = ts, Now = envelope.ReceivedAt.ToUnixTimeMilliseconds(),
            },
            context.Transaction, cancellationToken: cancellationToken));
    }

    /// <summary>
    /// Whether the row must be written now: never written by this instance, something about it changed, or its last
    /// write is older than <see cref="RefreshMs"/>. What was written is remembered only once the transaction commits.
    /// </summary>
    private bool Due((string Site, string Id) key, (string Gateway, string Kind, string Building, long At) now, IngestContext context)
    {
        if (_written.TryGetValue(key, out var last) && (last.Gateway, last.Kind, last.Building) == (now.Gateway, now.Kind, now.Building) && now.At - last.At < RefreshMs && now.At >= last.At)
        {
            return false;
        }

        context.AfterCommit(() => _written[key] = now);
        return true;
    }

    /// <summary>All values of a message in one statement (one row per point), each kept only if it is the newest.</summary>
    private static Task<int> UpsertValuesAsync(Envelope envelope, IReadOnlyList<(string Point, double Value, string? Label)> values, IngestContext context, CancellationToken cancellationToken)
    {
        var parameters = new DynamicParameters();
        parameters.Add("Site", envelope.Site);
        parameters.Add("Device", envelope.Device);
        parameters.Add("Ts", envelope.Message.Ts.ToUnixTimeMilliseconds());
        var rows = new StringBuilder();
        for (var i = 0; i < values.Count; i++)
        {
            rows.Append(i == 0 ? "" : ", ").Append(CultureInfo.InvariantCulture, $"(@Site, @Device, @p{i}, @v{i}, @l{i}, @Ts)");
            parameters.Add($"p{i}", values[i].Point);
            parameters.Add($"v{i}", values[i].Value);
            parameters.Add($"l{i}", values[i].Label, System.Data.DbType.String);
        }

        return context.Connection.ExecuteAsync(new CommandDefinition($"""
            INSERT INTO latest_values (site, device, point, value, label, ts) VALUES {rows}
            ON CONFLICT (site, device, point) DO UPDATE SET
                prev_value = CASE WHEN excluded.ts > latest_values.ts THEN latest_values.value ELSE latest_values.prev_value END,
                prev_ts = CASE WHEN excluded.ts > latest_values.ts THEN latest_values.ts ELSE latest_values.prev_ts END,
                value = excluded.value, label = excluded.label, ts = excluded.ts
            WHERE excluded.ts >= latest_values.ts
            """, parameters, context.Transaction, cancellationToken: cancellationToken));
    }
}
