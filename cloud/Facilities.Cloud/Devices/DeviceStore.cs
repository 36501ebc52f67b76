using System.Data;
using System.Data.Common;
using Dapper;
using Facilities.Cloud.Domain.Alerts;
using Facilities.Cloud.Domain.Rules;
using Facilities.Cloud.Ingestion;
using Facilities.Cloud.Storage;
using Facilities.Telemetry;

namespace Facilities.Cloud.Devices;

/// <summary>
/// The SQL of the <c>devices</c>, <c>latest_values</c> and <c>gateways</c> tables, for SQLite
/// and PostgreSQL: what the device registry reads and writes inside the ingestion transaction, what the alert engine
/// evaluates rules on, the pages of the fleet the preventive schedule walks, and the site overview.
/// </summary>
internal static class DeviceStore
{
    public static Task<IEnumerable<(string Gateway, string State, long LastSeen)>> ReadGatewaysAsync(
        IngestContext context, string site, IReadOnlyList<string> gateways, CancellationToken cancellationToken)
    {
        var parameters = new DynamicParameters(new { site });
        return context.Connection.QueryAsync<(string Gateway, string State, long LastSeen)>(new CommandDefinition(
            $"SELECT gateway, state, last_seen FROM gateways WHERE site = @site AND gateway IN {SqlList.Add(parameters, "g", gateways)}",
            parameters, context.Transaction, cancellationToken: cancellationToken));
    }

    /// <summary>The devices' rows, locked on PostgreSQL until the transaction ends.</summary>
    public static Task<IEnumerable<DeviceRow>> ReadDevicesForUpdateAsync(
        IngestContext context, string site, IReadOnlyList<string> devices, CancellationToken cancellationToken)
    {
        var parameters = new DynamicParameters(new { site });

        // Rows in key order: two instances lock the same devices in the same order, so one waits instead of deadlocking.
        return context.Connection.QueryAsync<DeviceRow>(new CommandDefinition(
            $"SELECT device, gateway, kind, building, state, state_reason, state_since, state_ts, last_seen FROM devices WHERE site = @site AND device IN {SqlList.Add(parameters, "d", devices)} ORDER BY device{context.Dialect.ForUpdate}",
            parameters, context.Transaction, cancellationToken: cancellationToken));
    }

    /// <summary>
    /// The devices' latest values. Not locked row by row: every writer of a device's values holds its devices row
    /// (<see cref="ReadDevicesForUpdateAsync"/>), and locking hundreds of value rows per batch cost PostgreSQL as much as reading them.
    /// </summary>
    public static Task<IEnumerable<PointRow>> ReadValuesAsync(
        IngestContext context, string site, IReadOnlyList<string> devices, CancellationToken cancellationToken)
    {
        var parameters = new DynamicParameters(new { site });
        return context.Connection.QueryAsync<PointRow>(new CommandDefinition(
            $"SELECT device, point, value, label, ts, prev_value, prev_ts FROM latest_values WHERE site = @site AND device IN {SqlList.Add(parameters, "d", devices)}",
            parameters, context.Transaction, cancellationToken: cancellationToken));
    }

    /// <summary>Rows of (site, device, gateway, kind, building, state, state_reason, state_since, state_ts, last_seen).</summary>
    public static Task WriteDevicesAsync(IngestContext context, IReadOnlyList<object?[]> rows, CancellationToken cancellationToken) =>
        DeviceRows.ExecuteAsync(context.Connection, context.Transaction, rows, cancellationToken);

    /// <summary>Rows of (site, device, point, value, label, ts, prev_value, prev_ts).</summary>
    public static Task WriteValuesAsync(IngestContext context, IReadOnlyList<object?[]> rows, CancellationToken cancellationToken) =>
        ValueRows.ExecuteAsync(context.Connection, context.Transaction, rows, cancellationToken);

    /// <summary>Moves each gateway's stream version one up.</summary>
    public static Task HeardGatewayAsync(IngestContext context, string site, string gateway, long at, CancellationToken cancellationToken) =>
        context.Connection.ExecuteAsync(new CommandDefinition(
            "UPDATE gateways SET last_seen = @at WHERE site = @site AND gateway = @gateway AND last_seen < @at",
            new { site, gateway, at }, context.Transaction, cancellationToken: cancellationToken));

    /// <summary>Writes a gateway's status (guarded by its sample time) and reads back the state and last-heard time that hold now.</summary>
    public static async Task<(string State, long LastSeen)> WriteGatewayStatusAsync(
        IngestContext context, Envelope envelope, GatewayStatusMessage status, DateTimeOffset ts, CancellationToken cancellationToken)
    {
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
        return await context.Connection.QuerySingleAsync<(string State, long LastSeen)>(new CommandDefinition(
            "SELECT state, last_seen FROM gateways WHERE site = @Site AND gateway = @Gateway", new { envelope.Site, envelope.Gateway }, context.Transaction, cancellationToken: cancellationToken));
    }

    /// <summary>Gateways, devices and open alerts by severity for one site or all (<c>GET /api/overview</c>).</summary>
    public static async Task<(ILookup<string, GatewayOverviewRow> Gateways, ILookup<string, DeviceOverviewRow> Devices, ILookup<string, (string Site, string Severity, long Count)> OpenAlerts)> OverviewAsync(
        CloudDatabase database, string? site, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var gateways = (await connection.QueryAsync<GatewayOverviewRow>(new CommandDefinition(
            "SELECT site, gateway, state, state_since, last_seen, version, devices, devices_online, outbox_depth, outbox_dropped FROM gateways WHERE @site IS NULL OR site = @site ORDER BY site, gateway",
            new { site }, cancellationToken: cancellationToken))).ToLookup(g => g.Site);
        var devices = (await connection.QueryAsync<DeviceOverviewRow>(new CommandDefinition(
            "SELECT site, device, kind, building, gateway, state, state_reason, state_since, last_seen FROM devices WHERE @site IS NULL OR site = @site ORDER BY site, building, device",
            new { site }, cancellationToken: cancellationToken))).ToLookup(d => d.Site);
        var alerts = (await connection.QueryAsync<(string Site, string Severity, long Count)>(new CommandDefinition(
            $"SELECT site, severity, COUNT(*) FROM alerts WHERE state IN ('{AlertStates.Firing}', '{AlertStates.Acknowledged}') AND suppressed IS NULL AND (@site IS NULL OR site = @site) GROUP BY site, severity",
            new { site }, cancellationToken: cancellationToken))).ToLookup(a => a.Site);
        return (gateways, devices, alerts);
    }

    /// <summary>A device as the rules see it, with its gateway's link state; null when the device is unknown.</summary>
    public static async Task<(DeviceFacts Facts, string? GatewayState, long? GatewayLastSeen)?> FactsAsync(
        DbConnection connection, DbTransaction transaction, string site, string device, CancellationToken cancellationToken)
    {
        var row = await connection.QuerySingleOrDefaultAsync<DeviceRow>(new CommandDefinition(
            """
            SELECT d.site, d.device, d.gateway, d.kind, d.building, d.state, d.state_reason, d.state_since, d.last_seen, g.state AS gateway_state, g.last_seen AS gateway_last_seen
            FROM devices d LEFT JOIN gateways g ON g.site = d.site AND g.gateway = d.gateway
            WHERE d.site = @site AND d.device = @device
            """, new { site, device }, transaction, cancellationToken: cancellationToken));
        if (row is null)
        {
            return null;
        }

        var points = (await connection.QueryAsync<PointRow>(new CommandDefinition(
            "SELECT point, value, label, ts, prev_value, prev_ts FROM latest_values WHERE site = @site AND device = @device",
            new { site, device }, transaction, cancellationToken: cancellationToken)))
            .ToDictionary(p => p.Point, p => p.Reading, StringComparer.Ordinal);
        var facts = new DeviceFacts(row.Site, row.Gateway, row.Device, row.Kind, row.Building, row.State != DeviceStateMessage.Offline,
            UnixTime.FromMs(row.StateSince), row.StateReason, UnixTime.FromMs(row.LastSeen), points);
        return (facts, row.GatewayState, row.GatewayLastSeen);
    }

    /// <summary>A gateway's link state; null when it is unknown.</summary>
    public static Task<GatewayLink?> GatewayLinkAsync(DbConnection connection, DbTransaction transaction, string site, string gateway, CancellationToken cancellationToken) =>
        connection.QuerySingleOrDefaultAsync<GatewayLink?>(new CommandDefinition(
            "SELECT state, state_since, last_seen FROM gateways WHERE site = @site AND gateway = @gateway",
            new { site, gateway }, transaction, cancellationToken: cancellationToken));

    /// <summary>The gateway a device is heard through; null when the device is unknown.</summary>
    public static Task<string?> GatewayOfAsync(DbConnection connection, DbTransaction transaction, string site, string device, CancellationToken cancellationToken) =>
        connection.ExecuteScalarAsync<string?>(new CommandDefinition(
            "SELECT gateway FROM devices WHERE site = @site AND device = @device", new { site, device }, transaction, cancellationToken: cancellationToken));

    /// <summary>The devices heard through a gateway.</summary>
    public static async Task<IReadOnlyList<string>> DevicesOfAsync(DbConnection connection, DbTransaction transaction, string site, string gateway, CancellationToken cancellationToken) =>
        [.. await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT device FROM devices WHERE site = @site AND gateway = @gateway ORDER BY device", new { site, gateway }, transaction, cancellationToken: cancellationToken))];

    /// <summary>
    /// A page of the devices of <paramref name="kind"/> heard since <paramref name="since"/>: up to <paramref name="limit"/>,
    /// in key order after (<paramref name="afterSite"/>, <paramref name="afterDevice"/>) — empty strings for the first page.
    /// A pass over the fleet reads one page at a time, so what it holds does not grow with the fleet.
    /// </summary>
    public static async Task<IReadOnlyList<(string Site, string Device, string Building)>> HeardAsync(
        DbConnection connection, string kind, DateTimeOffset since, string afterSite, string afterDevice, int limit, CancellationToken cancellationToken) =>
        [.. await connection.QueryAsync<(string Site, string Device, string Building)>(new CommandDefinition(
            """
            SELECT site, device, building FROM devices
            WHERE kind = @kind AND last_seen >= @since AND (site, device) > (@afterSite, @afterDevice)
            ORDER BY site, device LIMIT @limit
            """,
            new { kind, since = since.ToUnixTimeMilliseconds(), afterSite, afterDevice, limit }, cancellationToken: cancellationToken))];

    /// <summary>
    /// A page of the latest values of <paramref name="points"/> on devices of <paramref name="kind"/>: up to
    /// <paramref name="limit"/> rows in key order after (<paramref name="afterSite"/>, <paramref name="afterDevice"/>,
    /// <paramref name="afterPoint"/>) — empty strings for the first page — each with its device's building.
    /// </summary>
    public static async Task<IReadOnlyList<(string Site, string Device, string Building, string Point, double Value)>> PointValuesAsync(
        DbConnection connection, string kind, IReadOnlyList<string> points, string afterSite, string afterDevice, string afterPoint, int limit, CancellationToken cancellationToken)
    {
        var parameters = new DynamicParameters(new { kind, afterSite, afterDevice, afterPoint, limit });
        return [.. await connection.QueryAsync<(string Site, string Device, string Building, string Point, double Value)>(new CommandDefinition(
            $"""
            SELECT v.site, v.device, d.building, v.point, v.value FROM latest_values v JOIN devices d ON d.site = v.site AND d.device = v.device
            WHERE d.kind = @kind AND v.point IN {SqlList.Add(parameters, "p", points)} AND (v.site, v.device, v.point) > (@afterSite, @afterDevice, @afterPoint)
            ORDER BY v.site, v.device, v.point LIMIT @limit
            """,
            parameters, cancellationToken: cancellationToken))];
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

/// <summary>A row of <c>gateways</c> as the overview shows it (a class, not a positional record: SQLite and PostgreSQL return different integer widths, which Dapper converts only into properties).</summary>
internal sealed class GatewayOverviewRow
{
    public string Site { get; init; } = "";

    public string Gateway { get; init; } = "";

    public string State { get; init; } = "";

    public long StateSince { get; init; }

    public long LastSeen { get; init; }

    public string? Version { get; init; }

    public long Devices { get; init; }

    public long DevicesOnline { get; init; }

    public long OutboxDepth { get; init; }

    public long OutboxDropped { get; init; }
}

/// <summary>A row of <c>devices</c> as the overview shows it (a class, not a positional record: SQLite and PostgreSQL return different integer widths, which Dapper converts only into properties).</summary>
internal sealed class DeviceOverviewRow
{
    public string Site { get; init; } = "";

    public string Device { get; init; } = "";

    public string Kind { get; init; } = "";

    public string Building { get; init; } = "";

    public string Gateway { get; init; } = "";

    public string State { get; init; } = "";

    public string? StateReason { get; init; }

    public long StateSince { get; init; }

    public long LastSeen { get; init; }
}

/// <summary>A gateway's link state as the <c>gateways</c> table has it.</summary>
internal sealed class GatewayLink
{
    public string State { get; set; } = "";

    public long StateSince { get; set; }

    public long LastSeen { get; set; }
}
